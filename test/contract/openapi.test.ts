import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { generateOpenApiDocument } from '../../scripts/openapi-document';
import { createTestApp, type TestApp } from '../helpers/app';

interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The operations this stage must offer (SPEC §7), as `METHOD path` in OpenAPI path syntax. */
const STAGE_OPERATIONS = [
  'GET /healthz',
  'GET /readyz',
  'GET /v1/sources',
  'POST /v1/sources',
  'GET /v1/sources/{id}',
  'PATCH /v1/sources/{id}',
  'DELETE /v1/sources/{id}',
  'GET /v1/incidents',
  'POST /v1/incidents',
  'GET /v1/incidents/{id}',
  'PATCH /v1/incidents/{id}',
  'DELETE /v1/incidents/{id}',
  'GET /v1/incidents/{id}/claims',
  'GET /v1/claims',
  'POST /v1/claims',
  'GET /v1/claims/{id}',
  'PATCH /v1/claims/{id}',
  'DELETE /v1/claims/{id}',
];

/** Every operation of the whole public contract (SPEC §7): partners code against these names, so no other may appear. */
const CONTRACT_OPERATIONS = new Set([
  ...STAGE_OPERATIONS,
  'POST /v1/incidents/{id}/verification',
  'GET /v1/incidents/{id}/possible-duplicates',
  'POST /v1/incidents/{id}/merge',
  'GET /v1/sources/{id}/history',
  'GET /v1/incidents/{id}/history',
  'GET /v1/claims/{id}/history',
  'GET /v1/changes',
  'GET /v1/stats/incidents',
  'GET /v1/export/incidents',
  'GET /v1/export/claims',
  'GET /v1/export/sources',
  'POST /v1/imports',
  'GET /v1/api-keys',
  'POST /v1/api-keys',
  'DELETE /v1/api-keys/{id}',
  'GET /metrics',
  // SPEC §8: the landing page.
  'GET /',
]);

/**
 * Routes the app serves on purpose without documenting them: the document itself, its viewer, the metrics, and
 * the CORS preflight answer.
 */
const UNDOCUMENTED = (route: string) =>
  / \/docs(\/|\*|$)/.test(route) ||
  route === 'GET /openapi.json' ||
  route === 'GET /metrics' ||
  route === 'OPTIONS *';

const root = path.resolve(__dirname, '../..');
const committedPath = path.join(root, 'openapi/openapi.json');

// swagger-parser loads an ESM-only dependency that jest's CommonJS runtime cannot require, while plain Node
// can: the validation runs in a Node child process, with the document on its standard input.
const VALIDATE = `
const SwaggerParser = require('@apidevtools/swagger-parser');
let text = '';
process.stdin.setEncoding('utf8').on('data', (chunk) => (text += chunk)).on('end', () => {
  const doc = JSON.parse(text);
  SwaggerParser.validate(structuredClone(doc)).then(
    () => process.stdout.write('valid'),
    (err) => { process.stderr.write(String(err && err.message)); process.exitCode = 1; },
  );
});`;

function validate(document: unknown): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', VALIDATE], { cwd: root, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(JSON.stringify(document));
  });
}

let t: TestApp;
let committedText: string;
/** The document the code generates, as the app serves it; the first tests hold the committed file to it. */
let doc: Document;
beforeAll(async () => {
  t = await createTestApp();
  committedText = await readFile(committedPath, 'utf8');
  const served = await t.http.get('/openapi.json').expect(200);
  expect(served.headers['content-type']).toBe('application/json; charset=utf-8');
  doc = JSON.parse(served.text) as Document;
});
afterAll(() => t.close());

function operations(document: Document) {
  return Object.entries(document.paths).flatMap(([url, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${url}`, operation })),
  );
}

/**
 * The routes Fastify registered, read from its route tree: each line is a path segment indented under its
 * parent, followed by the methods it answers. HEAD is Fastify's automatic twin of GET.
 */
function registeredRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    const full = (stack[depth - 1] ?? '') + match[2]!;
    stack[depth] = full;
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      if (method !== 'HEAD') routes.push(`${method} ${full.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return [...new Set(routes)].sort();
}

/** JSON pointers where two documents differ, the shallowest first; enough to see what went stale. */
function differences(a: unknown, b: unknown, at = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b))
    return [at || '/'];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.flatMap((key) =>
    differences(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
    ),
  );
}

test('openapi/openapi.json is what the code generates', async () => {
  const generated = await generateOpenApiDocument();
  if (committedText !== generated) {
    const where = differences(JSON.parse(committedText), JSON.parse(generated));
    throw new Error(
      [
        'openapi/openapi.json is stale: run `npm run openapi` and commit the result.',
        where.length
          ? `It differs at ${where.length} place(s), e.g.:\n  ${where.slice(0, 20).join('\n  ')}`
          : 'Only the formatting differs.',
      ].join('\n'),
    );
  }
});

test('/openapi.json served by the app is the committed document', () => {
  expect(doc).toEqual(JSON.parse(committedText));
});

test('the document is valid OpenAPI 3.1 with every $ref resolving', async () => {
  expect(doc.openapi).toBe('3.1.0');
  const result = await validate(doc);
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr.trim() }).toEqual({
    code: 0,
    stdout: 'valid',
    stderr: '',
  });
});

test('the validator does reject a dangling $ref, so the check above can fail', async () => {
  const broken = structuredClone(doc);
  broken.paths['/healthz']!.get!.responses!['200']!.content!['application/json']!.schema = {
    $ref: '#/components/schemas/NoSuchSchema',
  };
  const result = await validate(broken);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('NoSuchSchema');
});

test('it documents every operation of this stage and nothing outside the public contract', () => {
  const documented = operations(doc).map((o) => o.key);
  expect(STAGE_OPERATIONS.filter((key) => !documented.includes(key))).toEqual([]);
  expect(documented.filter((key) => !CONTRACT_OPERATIONS.has(key))).toEqual([]);
});

test('every route the app serves is documented, and every documented operation is served', () => {
  const served = registeredRoutes(t.app.printRoutes({ commonPrefix: false }));
  const documented = operations(doc)
    .map((o) => o.key)
    .sort();
  expect(served.filter((route) => !UNDOCUMENTED(route))).toEqual(
    documented.filter((key) => !UNDOCUMENTED(key)),
  );
  // The parser must have seen the undocumented routes too, or the comparison above proves little.
  expect(served).toEqual(expect.arrayContaining(['GET /openapi.json', 'GET /docs', ...STAGE_OPERATIONS]));
  for (const key of documented) {
    const [method, url] = key.split(' ') as [string, string];
    expect([key, t.app.hasRoute({ method, url: url.replace(/\{(\w+)\}/g, ':$1') })]).toEqual([key, true]);
  }
});

test('every operation has a unique operationId, tags and a summary', () => {
  const problems: string[] = [];
  const ids = new Map<string, string>();
  for (const { key, operation } of operations(doc)) {
    const id = operation.operationId;
    if (!id || !/^[a-z][A-Za-z]+$/.test(id)) problems.push(`${key}: operationId ${id} is not camelCase`);
    else if (ids.has(id)) problems.push(`${key}: operationId ${id} is also used by ${ids.get(id)}`);
    else ids.set(id, key);
    if (!operation.tags?.length) problems.push(`${key}: no tags`);
    if (!operation.summary?.trim()) problems.push(`${key}: no summary`);
  }
  expect(problems).toEqual([]);
  expect(ids.size).toBe(operations(doc).length);
});

test('every tag an operation uses is declared', () => {
  const declared = ((doc as unknown as { tags?: { name: string }[] }).tags ?? []).map((tag) => tag.name);
  const used = new Set(operations(doc).flatMap((o) => o.operation.tags ?? []));
  expect([...used].filter((tag) => !declared.includes(tag))).toEqual([]);
});

test('summaries read as English: "an" before a vowel sound', () => {
  const wrong = operations(doc)
    .map((o) => `${o.key}: ${o.operation.summary}`)
    .filter((line) => /\ba [aeiou]/i.test(line));
  expect(wrong).toEqual([]);
});

test('every response has a description; every 4xx and 5xx is problem+json referring to Problem', () => {
  const problems: string[] = [];
  for (const { key, operation } of operations(doc)) {
    const responses = Object.entries(operation.responses ?? {});
    if (responses.length === 0) problems.push(`${key}: no responses`);
    for (const [status, response] of responses) {
      if (!response.description?.trim()) problems.push(`${key} ${status}: no description`);
      if (Number(status) >= 400) {
        const content = response.content ?? {};
        if (JSON.stringify(Object.keys(content)) !== '["application/problem+json"]')
          problems.push(`${key} ${status}: content is ${Object.keys(content).join(', ') || 'missing'}`);
        else if (
          JSON.stringify(content['application/problem+json']!.schema) !==
          '{"$ref":"#/components/schemas/Problem"}'
        )
          problems.push(`${key} ${status}: schema is not the Problem component`);
      }
    }
  }
  expect(problems).toEqual([]);
  expect(doc.components.schemas.Problem).toMatchObject({
    type: 'object',
    required: expect.arrayContaining(['type', 'title', 'status', 'detail']),
  });
});

test('every operation declares the failures every route can answer with', () => {
  // 400 for validation, 500 for the unexpected, 503 for an unavailable database or an overloaded or closing
  // server; a body adds 413 and 415; an {id} adds 404.
  const missing: string[] = [];
  for (const { key, operation } of operations(doc)) {
    if (key === 'GET /healthz') continue; // liveness answers from the process alone
    const declared = Object.keys(operation.responses ?? {});
    const wanted = ['400', '500', '503'];
    if (operation.requestBody) wanted.push('413', '415');
    if (key.includes('{id}')) wanted.push('404');
    for (const status of wanted) if (!declared.includes(status)) missing.push(`${key} ${status}`);
  }
  expect(missing).toEqual([]);
});

test('every PATCH documents JSON merge patch, which it accepts, beside plain JSON', () => {
  const patches = operations(doc).filter((o) => o.key.startsWith('PATCH '));
  expect(patches).toHaveLength(3);
  for (const { key, operation } of patches) {
    expect([key, Object.keys(operation.requestBody?.content ?? {}).sort()]).toEqual([
      key,
      ['application/json', 'application/merge-patch+json'],
    ]);
  }
});

test('/docs answers with the interactive HTML documentation', async () => {
  const res = await t.http.get('/docs').redirects(3).expect(200);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.text).toMatch(/<html/i);
});
