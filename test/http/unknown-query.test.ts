import path from 'node:path';
import { unknownQueryParameter } from '../../src/http/strict-query';
import { createTestApp, type TestApp } from '../helpers/app';
import { countRows, createIncident, expectProblem } from '../helpers/factories';
import { loadContract, operationsOf, type Operation } from '../fuzz/contract';

/**
 * A query parameter a route does not take is refused with 400 problem+json naming it, on every operation of the
 * OpenAPI document, as unknown body fields are; nothing is answered as if it had not been sent, and nothing is
 * written. Each request is otherwise valid: its documented example body, its required parameters.
 */
const contract = loadContract(path.resolve(__dirname, '../../openapi/openapi.json'));
const operations = operationsOf(contract);

let t: TestApp;
let incidentId: string;
beforeAll(async () => {
  t = await createTestApp();
  incidentId = (await createIncident(t.http)).id;
});
afterAll(() => t.close());

type Media = { example?: unknown };

/** The operation's URL with its path parameters filled and its required query parameters set validly. */
function urlOf(operation: Operation, extra: Record<string, string>): string {
  const query = new URLSearchParams();
  for (const p of operation.parameters) {
    if (p.in === 'query' && p.required) {
      const values = (p.schema as { enum?: string[] }).enum;
      query.set(p.name, values?.[0] ?? 'x');
    }
  }
  for (const [name, value] of Object.entries(extra)) query.set(name, value);
  return `${operation.path.replace(/\{(\w+)\}/g, incidentId)}?${query}`;
}

function send(operation: Operation, extra: Record<string, string>) {
  const request = t.http[operation.method](urlOf(operation, extra));
  const [mediaType, media] =
    Object.entries((operation.requestBody?.content ?? {}) as Record<string, Media>)[0] ?? [];
  if (mediaType === undefined) return request;
  const example = media!.example;
  return request
    .set('content-type', mediaType)
    .send(typeof example === 'string' ? example : JSON.stringify(example));
}

test.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))(
  '%s refuses an unknown query parameter, naming it',
  async (_name, operation) => {
    const before = await countRows(t.database, 'incidents');
    const res = await send(operation, { zzunknownparam: '1' });
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.status).toBe(400);
    const message = expect.stringMatching(/^Unknown query parameter "zzunknownparam": /) as unknown;
    expect(res.body).toMatchObject({
      type: '/problems/validation',
      status: 400,
      detail: message,
      errors: [{ path: 'query.zzunknownparam', message }],
    });
    expect(await countRows(t.database, 'incidents')).toBe(before);
  },
);

test('a misspelt parameter gets the closest valid name', async () => {
  const res = await t.http.get('/v1/incidents?contry=SYR');
  expectProblem(res, {
    type: '/problems/validation',
    title: 'Invalid request',
    status: 400,
    detail: 'Unknown query parameter "contry": did you mean "country"?',
    errors: [{ path: 'query.contry', message: 'Unknown query parameter "contry": did you mean "country"?' }],
  });
  const misspelt = await t.http.get('/v1/sources?kinds=ngo&limt=5');
  expect(misspelt.body.errors).toEqual([
    { path: 'query.kinds', message: 'Unknown query parameter "kinds": did you mean "kind"?' },
    { path: 'query.limt', message: 'Unknown query parameter "limt": did you mean "limit"?' },
  ]);
});

test.each([
  '/v1/incidents',
  '/v1/sources',
  '/v1/claims',
  '/v1/export/incidents',
  '/v1/export/claims',
  '/v1/export/sources',
  '/v1/stats/incidents?group_by=month',
  '/v1/changes',
])('as_of on %s is refused, not answered with the live data', async (url) => {
  const res = await t.http.get(`${url}${url.includes('?') ? '&' : '?'}as_of=2025-03-07T00:00:00Z`);
  const message =
    'Unknown query parameter "as_of": only reads of one record (GET /v1/{resource}/{id}) answer as of a time.';
  expectProblem(res, {
    type: '/problems/validation',
    title: 'Invalid request',
    status: 400,
    detail: message,
    errors: [{ path: 'query.as_of', message }],
  });
});

test('as_of still works where it is supported: one record', async () => {
  const res = await t.http.get(
    `/v1/incidents/${incidentId}?as_of=${encodeURIComponent(new Date().toISOString())}`,
  );
  expect(res.status).toBe(200);
});

test('a name far from every parameter lists what the route takes; a route with none says so', () => {
  expect(unknownQueryParameter('colour', ['limit', 'cursor'])).toBe(
    'Unknown query parameter "colour": this route takes limit, cursor.',
  );
  expect(unknownQueryParameter('x', [])).toBe(
    'Unknown query parameter "x": this route takes no query parameters.',
  );
});

test('the liveness probe and the document refuse unknown parameters too', async () => {
  for (const url of ['/healthz?verbose=1', '/readyz?verbose=1', '/openapi.json?v=2']) {
    const res = await t.anonymous.get(url);
    expect([url, res.status, res.body.type]).toEqual([url, 400, '/problems/validation']);
  }
});

test('a CORS preflight with a query string is still answered', async () => {
  const res = await t.anonymous
    .options('/v1/incidents?country=SYR')
    .set('origin', 'https://partner.example')
    .set('access-control-request-method', 'GET');
  expect(res.status).toBe(204);
});
