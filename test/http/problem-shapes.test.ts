import type { Response } from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app';

/**
 * Every error the API sends is an RFC 9457 problem: each route is sent each kind of malformed request, and every
 * answer of 400 or more must be application/problem+json with type, title, detail and the answer's own status.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const SOME_ID = '3b4f3c5e-8a5d-4c1e-9b7a-2f6d8e9a1c04';

interface Shape {
  name: string;
  /** Whether the route must refuse it (otherwise it only must not answer an error that is not a problem). */
  refused: (route: Route) => boolean;
  send: (route: Route) => Promise<Response>;
}

type Route = { method: string; url: string; access: string | undefined };

const path = (route: Route, id = SOME_ID) => route.url.replace(/:[a-z_]+/g, id);
const call = (http: TestApp['anonymous'], route: Route, url = path(route)) =>
  http[route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'](url);

const SHAPES: Shape[] = [
  {
    name: 'a body that is not JSON, typed as JSON',
    refused: (r) => r.method === 'POST' || r.method === 'PATCH',
    send: (r) => call(t.http, r).set('content-type', 'application/json').send('{"title": '),
  },
  {
    name: 'a text/plain body',
    refused: (r) => r.method === 'POST' || r.method === 'PATCH',
    send: (r) => call(t.http, r).set('content-type', 'text/plain').send('killed: 40'),
  },
  {
    name: 'an empty body typed as JSON',
    refused: (r) => r.method === 'POST' || r.method === 'PATCH',
    send: (r) => call(t.http, r).set('content-type', 'application/json'),
  },
  {
    name: 'a body over the size limit',
    refused: (r) => r.method === 'POST' || r.method === 'PATCH',
    send: (r) =>
      call(t.http, r)
        .set('content-type', 'application/json')
        .send(JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) })),
  },
  {
    name: 'a path id that is not a UUID',
    refused: (r) => r.url.includes(':id'),
    send: (r) => call(t.http, r, path(r, 'not-an-id')),
  },
  {
    name: 'a malformed Authorization header',
    refused: (r) => r.access !== 'public' && r.access !== 'read',
    send: (r) => call(t.anonymous, r).set('authorization', 'Basic YWRtaW46YWRtaW4='),
  },
  {
    name: 'an unknown, well-formed API key',
    refused: (r) => r.access !== 'public',
    send: (r) => call(t.anonymous, r).set('authorization', `Bearer cbk_${'A'.repeat(43)}`),
  },
  {
    name: 'an Accept naming no type the API speaks',
    refused: () => false,
    send: (r) => call(t.http, r).set('accept', 'image/png'),
  },
  {
    name: 'a method the path does not answer',
    refused: () => true,
    send: (r) => t.http.put(path(r)).send({}),
  },
  {
    name: 'an OPTIONS request that is no CORS preflight',
    refused: () => true,
    send: (r) => t.anonymous.options(path(r)),
  },
  {
    name: 'a query string with a malformed value',
    refused: () => false,
    send: (r) => call(t.http, r, `${path(r)}?limit=lots&cursor=%00`),
  },
];

function problems(res: Response) {
  const faults: string[] = [];
  if (!String(res.headers['content-type']).startsWith('application/problem+json'))
    faults.push(`content-type ${res.headers['content-type']}`);
  const body = res.body as Record<string, unknown>;
  for (const field of ['type', 'title', 'detail'])
    if (typeof body?.[field] !== 'string') faults.push(`no ${field}`);
  if (body?.status !== res.status) faults.push(`status ${String(body?.status)} in a ${res.status}`);
  if (/\bat \S+ \(|node_modules|\/src\//.test(JSON.stringify(body))) faults.push('a stack trace or path');
  return faults;
}

test('every route answers every malformed request with a problem document', async () => {
  const routes = t.app.routeCatalog.filter(
    (r) => r.url.startsWith('/v1/') || r.url === '/healthz' || r.url === '/readyz',
  ) as Route[];
  expect(routes.length).toBeGreaterThan(25);
  const faults: string[] = [];
  let refusals = 0;
  for (const route of routes) {
    for (const shape of SHAPES) {
      const res = await shape.send(route);
      const where = `${route.method} ${route.url} with ${shape.name}: ${res.status}`;
      if (shape.refused(route) && res.status < 400) faults.push(`${where} (should be refused)`);
      if (res.status >= 400) {
        refusals++;
        faults.push(...problems(res).map((p) => `${where}: ${p}`));
      }
    }
  }
  expect(faults).toEqual([]);
  expect(refusals).toBeGreaterThan(routes.length * 4);
});

test('a DELETE with a JSON content type and no body is a plain DELETE', async () => {
  const created = await t.http.post('/v1/sources').send({ name: 'Short-lived', kind: 'other' }).expect(201);
  await t.http.delete(`/v1/sources/${created.body.id}`).set('content-type', 'application/json').expect(204);
});

test('a real CORS preflight still gets its answer', async () => {
  const res = await t.anonymous
    .options('/v1/incidents')
    .set('origin', 'https://partner.example')
    .set('access-control-request-method', 'GET');
  expect(res.status).toBe(204);
});
