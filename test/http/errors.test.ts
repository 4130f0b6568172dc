import { sql } from 'drizzle-orm';
import type { Response, Test } from 'supertest';
import { queryRows, type Database } from '../../src/db/client';
import { createTestApp, type TestApp } from '../helpers/app';

type Http = TestApp['http'];
type Body = Record<string, unknown>;

interface ExpectedProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  constraint?: string;
  errors?: { path: string; message: string }[];
}

const PROBLEM_JSON = 'application/problem+json; charset=utf-8';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MISSING = '00000000-0000-4000-8000-000000000000';
const KIND_OPTIONS =
  'Invalid option: expected one of "monitor"|"ngo"|"news_media"|"state_media"|"government"|"intergovernmental"|"armed_group"|"witness"|"social_media"|"other"';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** The whole RFC 9457 body: what the test expects, plus the path as `instance` and the echoed request id. */
function expectProblem(res: Response, instance: string, expected: ExpectedProblem) {
  expect(res.headers['content-type']).toBe(PROBLEM_JSON);
  expect(res.status).toBe(expected.status);
  const requestId = res.headers['x-request-id'];
  expect(requestId).toMatch(UUID);
  expect(res.body).toEqual({ ...expected, instance, request_id: requestId });
}

const invalid = (where: 'body' | 'query' | 'path', errors: { path: string; message: string }[]) => ({
  type: '/problems/validation',
  title: 'Invalid request',
  status: 400,
  detail: `The request ${where} is not valid: ${errors.length} problem(s), listed in errors.`,
  errors,
});

const notFound = (detail: string) => ({
  type: '/problems/not-found',
  title: 'Not Found',
  status: 404,
  detail,
});

/**
 * Every row of every table, soft-deleted ones included, reduced to a digest per table: a refused request must
 * leave all of them as they were (history and side tables too, not only the resource it named). api_keys is left
 * out: any authenticated request may record when its key was last used.
 */
async function databaseState(database: Database) {
  const tables = await queryRows<{ name: string }>(
    database.db,
    sql`SELECT quote_ident(table_name) AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'api_keys' ORDER BY 1`,
  );
  const state: Record<string, unknown> = {};
  for (const { name } of tables) {
    [state[name]] = await queryRows(
      database.db,
      sql`SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest
          FROM ${sql.raw(name)} t`,
    );
  }
  return state;
}

/** Sends a request that must be refused and checks that it wrote nothing. */
async function refused(request: () => Test, database: Database = t.database): Promise<Response> {
  const before = await databaseState(database);
  const res = await request();
  expect(await databaseState(database)).toEqual(before);
  return res;
}

async function created(res: Test): Promise<Body & { id: string }> {
  const done = await res;
  if (done.status !== 201) throw new Error(`setup failed: ${done.status} ${JSON.stringify(done.body)}`);
  return done.body;
}

const createSource = (overrides: Body = {}, http: Http = t.http) =>
  created(
    http.post('/v1/sources').send({ name: 'Syrian Network for Human Rights', kind: 'monitor', ...overrides }),
  );

const createIncident = (overrides: Body = {}) =>
  created(
    t.http.post('/v1/incidents').send({
      title: 'Shelling of the central market',
      category: 'explosion_remote_violence',
      occurred_from: '2025-03-07',
      ...overrides,
    }),
  );

const createClaim = (incidentId: string, sourceId: string, overrides: Body = {}) =>
  created(t.http.post('/v1/claims').send({ incident_id: incidentId, source_id: sourceId, ...overrides }));

describe('400: input that fails validation', () => {
  test('a body with several problems lists each one under its own path', async () => {
    const res = await refused(() =>
      t.http.post('/v1/sources').send({ name: '   ', kind: 'blog', reliability: 'G', id: MISSING }),
    );
    expectProblem(
      res,
      '/v1/sources',
      invalid('body', [
        { path: 'body.name', message: 'must not be blank' },
        { path: 'body.kind', message: KIND_OPTIONS },
        { path: 'body.reliability', message: 'Invalid option: expected one of "A"|"B"|"C"|"D"|"E"|"F"' },
        { path: 'body.id', message: 'Unrecognized key: "id"' },
      ]),
    );
  });

  test('each field the server owns, sent by the client, is named on its own', async () => {
    const res = await refused(() =>
      t.http.post('/v1/incidents').send({
        title: 'Shelling',
        category: 'battle',
        occurred_from: '2025-03-06',
        ref: 'SYR-2025-000001',
        status: 'verified',
      }),
    );
    expectProblem(
      res,
      '/v1/incidents',
      invalid('body', [
        { path: 'body.ref', message: 'Unrecognized key: "ref"' },
        { path: 'body.status', message: 'Unrecognized key: "status"' },
      ]),
    );
  });

  test('problems inside lists are named by index and field', async () => {
    const res = await refused(() =>
      t.http.post('/v1/incidents').send({
        title: 'Shelling',
        category: 'battle',
        occurred_from: '2025-03-06',
        actors: [{ name: 'Loyalists', role: 'bystander' }],
        external_ids: [{ system: 'ACLED', id: '' }],
      }),
    );
    expectProblem(
      res,
      '/v1/incidents',
      invalid('body', [
        {
          path: 'body.actors.0.role',
          message: 'Invalid option: expected one of "perpetrator"|"target"|"other"',
        },
        {
          path: 'body.external_ids.0.system',
          message: 'must be a lower-case system name such as acled or ucdp_ged',
        },
        { path: 'body.external_ids.0.id', message: 'must not be blank' },
      ]),
    );
  });

  test('figures must be non-negative whole numbers', async () => {
    const res = await refused(() =>
      t.http.post('/v1/claims').send({ incident_id: MISSING, source_id: MISSING, killed: -1, injured: 1.5 }),
    );
    expectProblem(
      res,
      '/v1/claims',
      invalid('body', [
        { path: 'body.killed', message: 'Too small: expected number to be >=0' },
        { path: 'body.injured', message: 'Invalid input: expected int, received number' },
      ]),
    );
  });

  test('a PATCH that changes nothing is refused', async () => {
    const source = await createSource();
    const res = await refused(() => t.http.patch(`/v1/sources/${source.id}`).send({}));
    expectProblem(
      res,
      `/v1/sources/${source.id}`,
      invalid('body', [{ path: 'body', message: 'must change at least one field' }]),
    );
  });

  test('query parameters: several problems at once; instance is the path without the query', async () => {
    const res = await refused(() =>
      t.http.get('/v1/incidents?limit=0&country=syr&from=2025-13-01&cursor=not%20a%20cursor'),
    );
    expectProblem(
      res,
      '/v1/incidents',
      invalid('query', [
        { path: 'query.limit', message: 'Too small: expected number to be >=1' },
        { path: 'query.cursor', message: 'must be a cursor returned by the API' },
        { path: 'query.country.0', message: 'must be an ISO 3166-1 alpha-3 code in capitals, e.g. SYR' },
        { path: 'query.from', message: 'must be a date, YYYY-MM-DD' },
      ]),
    );
  });

  test('a cursor the API did not issue', async () => {
    const res = await refused(() => t.http.get('/v1/sources?cursor=abc'));
    expectProblem(res, '/v1/sources', {
      type: '/problems/invalid-cursor',
      title: 'Bad Request',
      status: 400,
      detail: 'The cursor is not one this API issued.',
      errors: [{ path: 'query.cursor', message: 'not a cursor issued by this API' }],
    });
  });

  test.each([
    ['GET', '/v1/sources/not-a-uuid'],
    ['PATCH', '/v1/incidents/not-a-uuid'],
    ['DELETE', '/v1/claims/not-a-uuid'],
    ['GET', '/v1/incidents/not-a-uuid/claims'],
  ])('a path id that is not a UUID: %s %s', async (method, path) => {
    const res = await refused(() => {
      const req = t.http[method.toLowerCase() as 'get' | 'patch' | 'delete'](path);
      return method === 'PATCH' ? req.send({ title: 'x' }) : req;
    });
    expectProblem(res, path, invalid('path', [{ path: 'path.id', message: 'must be a UUID' }]));
  });
});

describe('400: a body that is not JSON', () => {
  test('malformed JSON', async () => {
    const res = await refused(() =>
      t.http.post('/v1/sources').set('content-type', 'application/json').send('{"name": "SNHR",'),
    );
    expectProblem(res, '/v1/sources', {
      type: '/problems/bad-request',
      title: 'Bad Request',
      status: 400,
      detail: "Body is not valid JSON but content-type is set to 'application/json'",
    });
  });

  test('an empty body declared as JSON is no body: the record it lacks is named', async () => {
    const res = await refused(() =>
      t.http.post('/v1/sources').set('content-type', 'application/json').send(''),
    );
    expectProblem(res, '/v1/sources', {
      type: '/problems/validation',
      title: 'Invalid request',
      status: 400,
      detail: 'The request body is not valid: 1 problem(s), listed in errors.',
      errors: [{ path: 'body', message: 'Invalid input: expected object, received null' }],
    });
  });

  test('a body that tries to set __proto__ is refused before it reaches any object', async () => {
    const res = await refused(() =>
      t.http
        .post('/v1/sources')
        .set('content-type', 'application/json')
        .send('{"name":"SNHR","kind":"monitor","__proto__":{"protected":true}}'),
    );
    expectProblem(res, '/v1/sources', {
      type: '/problems/bad-request',
      title: 'Bad Request',
      status: 400,
      detail: "Body is not valid JSON but content-type is set to 'application/json'",
    });
  });
});

describe('415: bodies that are not JSON', () => {
  test.each([
    ['text/plain', '{"name":"SNHR","kind":"monitor"}'],
    ['application/xml', '<source><name>SNHR</name></source>'],
    ['application/x-www-form-urlencoded', 'name=SNHR&kind=monitor'],
  ])('%s', async (contentType, body) => {
    const res = await refused(() => t.http.post('/v1/sources').set('content-type', contentType).send(body));
    expectProblem(res, '/v1/sources', {
      type: '/problems/unsupported-media-type',
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'Unsupported Media Type',
    });
  });
});

describe('413: a body over the limit', () => {
  let small: TestApp;
  beforeAll(async () => {
    small = await createTestApp({ BODY_LIMIT: '2048' });
  });
  afterAll(() => small.close());

  test('is refused whole, while a body under the limit is accepted', async () => {
    const res = await refused(
      () => small.http.post('/v1/sources').send({ name: 'x'.repeat(2100), kind: 'monitor' }),
      small.database,
    );
    expectProblem(res, '/v1/sources', {
      type: '/problems/body-too-large',
      title: 'Content Too Large',
      status: 413,
      detail: 'Request body is too large',
    });

    const notes = 'n'.repeat(1900);
    const accepted = await createSource({ notes }, small.http);
    expect(accepted.notes).toBe(notes);
  });
});

describe('404', () => {
  test('an unknown route', async () => {
    const res = await refused(() => t.http.get('/v1/nothing-here?x=1'));
    expectProblem(res, '/v1/nothing-here', notFound('No route GET /v1/nothing-here.'));
  });

  test.each([
    ['PUT', '/v1/nothing-here'],
    ['DELETE', `/v1/sources/${MISSING}/claims`],
  ])('an unknown path with any method: %s %s', async (method, path) => {
    const res = await refused(() =>
      t.http[method.toLowerCase() as 'put' | 'delete'](path).send({ name: 'x' }),
    );
    expectProblem(res, path, notFound(`No route ${method} ${path}.`));
    expect(res.headers.allow).toBeUndefined();
  });
});

describe('405', () => {
  test.each([
    ['PUT', `/v1/sources/${MISSING}`, 'DELETE, GET, HEAD, PATCH'],
    ['DELETE', '/v1/sources', 'GET, HEAD, POST'],
    ['POST', '/v1/incidents/' + MISSING, 'DELETE, GET, HEAD, PATCH'],
    ['PATCH', '/v1/changes', 'GET, HEAD'],
    ['DELETE', '/v1/imports', 'POST'],
    ['DELETE', '/v1/sources/', 'GET, HEAD, POST'],
    ['PUT', `/v1/sources/${MISSING}/`, 'DELETE, GET, HEAD, PATCH'],
    ['PATCH', '/v1/%63hanges', 'GET, HEAD'],
  ])(
    'a method the path does not have: %s %s, with the methods it has in Allow',
    async (method, path, allow) => {
      const res = await refused(() =>
        t.http[method.toLowerCase() as 'put' | 'delete' | 'post' | 'patch'](path).send({ name: 'x' }),
      );
      expectProblem(res, path, {
        type: '/problems/method-not-allowed',
        title: 'Method Not Allowed',
        status: 405,
        detail: `${path} does not answer ${method}; it answers ${allow}.`,
      });
      expect(res.headers.allow).toBe(allow);
    },
  );

  test.each([
    ['sources', 'source', { name: 'x' }],
    ['incidents', 'incident', { title: 'x' }],
    ['claims', 'claim', { killed: 1 }],
  ])('an unknown id under /v1/%s, on read, change and delete', async (collection, singular, patch) => {
    const path = `/v1/${collection}/${MISSING}`;
    for (const request of [
      () => t.http.get(path),
      () => t.http.patch(path).send(patch),
      () => t.http.delete(path),
    ]) {
      expectProblem(await refused(request), path, notFound(`No ${singular} with id ${MISSING}.`));
    }
  });

  test('a deleted record is gone for read, change and delete', async () => {
    const source = await createSource({ name: 'Deleted monitor' });
    await t.http.delete(`/v1/sources/${source.id}`).expect(204);
    const path = `/v1/sources/${source.id}`;
    for (const request of [
      () => t.http.get(path),
      () => t.http.patch(path).send({ name: 'Revived' }),
      () => t.http.delete(path),
    ]) {
      expectProblem(await refused(request), path, notFound(`No source with id ${source.id}.`));
    }
  });

  test('the claims of an unknown incident', async () => {
    const path = `/v1/incidents/${MISSING}/claims`;
    expectProblem(await refused(() => t.http.get(path)), path, notFound(`No incident with id ${MISSING}.`));
  });
});

describe('409: conflicts with data rules', () => {
  const externalIdConflict = {
    type: '/problems/conflict',
    title: 'Conflict',
    status: 409,
    detail:
      'Another incident already carries this external id in the same system (external ids are unique per system).',
    constraint: 'incident_external_ids_system_id_key',
    errors: [
      {
        path: 'body.external_ids',
        message:
          'Another incident already carries this external id in the same system (external ids are unique per system).',
      },
    ],
  };

  test('an external id already carried by another incident', async () => {
    await createIncident({ external_ids: [{ system: 'acled', id: 'SYR-409-A' }] });
    const res = await refused(() =>
      t.http.post('/v1/incidents').send({
        title: 'The same event, imported again',
        category: 'battle',
        occurred_from: '2025-03-06',
        external_ids: [{ system: 'acled', id: 'SYR-409-A' }],
      }),
    );
    expectProblem(res, '/v1/incidents', externalIdConflict);

    // Unique per system: the same id in another system is a different record.
    const other = await createIncident({ external_ids: [{ system: 'ucdp_ged', id: 'SYR-409-A' }] });
    expect(other.external_ids).toEqual([{ system: 'ucdp_ged', id: 'SYR-409-A' }]);
  });

  test('a PATCH taking another incident’s external id changes nothing, not even its other fields', async () => {
    await createIncident({ external_ids: [{ system: 'acled', id: 'SYR-409-B' }] });
    const incident = await createIncident({ title: 'Before' });
    const path = `/v1/incidents/${incident.id}`;
    const res = await refused(() =>
      t.http.patch(path).send({ title: 'After', external_ids: [{ system: 'acled', id: 'SYR-409-B' }] }),
    );
    expectProblem(res, path, externalIdConflict);
    expect((await t.http.get(path).expect(200)).body).toEqual(incident);
  });

  test('deleting a source that live claims cite', async () => {
    const source = await createSource();
    const incident = await createIncident();
    const claim = await createClaim(incident.id, source.id);
    const path = `/v1/sources/${source.id}`;
    expectProblem(await refused(() => t.http.delete(path)), path, {
      type: '/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: `The source is cited by live claims (${claim.id}); delete them first.`,
      constraint: 'source_has_live_claims',
    });
  });

  test('deleting an incident that has live claims or live child incidents', async () => {
    const source = await createSource();
    const withClaim = await createIncident();
    const claim = await createClaim(withClaim.id, source.id);
    let path = `/v1/incidents/${withClaim.id}`;
    expectProblem(await refused(() => t.http.delete(path)), path, {
      type: '/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: `The incident still has live claims (${claim.id}); delete them first.`,
      constraint: 'incident_has_live_claims',
    });

    const parent = await createIncident();
    const child = await createIncident({ parent_id: parent.id });
    path = `/v1/incidents/${parent.id}`;
    expectProblem(await refused(() => t.http.delete(path)), path, {
      type: '/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: `The incident is the parent of live incidents (${child.id}); delete or re-parent them first.`,
      constraint: 'incident_has_live_children',
    });
  });
});

describe('422: well-formed input that refers to what does not exist or cannot be', () => {
  const unprocessable = (
    detail: string,
    errors: { path: string; message: string }[],
    constraint?: string,
  ) => ({
    type: '/problems/unprocessable',
    title: 'Unprocessable Content',
    status: 422,
    detail,
    ...(constraint ? { constraint } : {}),
    errors,
  });

  test('a claim about a missing incident from a missing source names both', async () => {
    const res = await refused(() =>
      t.http.post('/v1/claims').send({ incident_id: MISSING, source_id: MISSING }),
    );
    expectProblem(
      res,
      '/v1/claims',
      unprocessable('The claim refers to records that do not exist.', [
        { path: 'body.incident_id', message: 'no live incident with this id' },
        { path: 'body.source_id', message: 'no live source with this id' },
      ]),
    );
  });

  test('a claim citing a deleted source', async () => {
    const incident = await createIncident();
    const source = await createSource({ name: 'Withdrawn source' });
    await t.http.delete(`/v1/sources/${source.id}`).expect(204);
    const res = await refused(() =>
      t.http.post('/v1/claims').send({ incident_id: incident.id, source_id: source.id }),
    );
    expectProblem(
      res,
      '/v1/claims',
      unprocessable('The claim refers to records that do not exist.', [
        { path: 'body.source_id', message: 'no live source with this id' },
      ]),
    );
  });

  test('an incident whose parent does not exist', async () => {
    const res = await refused(() =>
      t.http.post('/v1/incidents').send({
        title: 'Executions',
        category: 'violence_against_civilians',
        occurred_from: '2025-03-06',
        parent_id: MISSING,
      }),
    );
    expectProblem(
      res,
      '/v1/incidents',
      unprocessable('parent_id names no incident.', [
        { path: 'body.parent_id', message: 'no live incident with this id' },
      ]),
    );
  });

  test('an incident made its own parent', async () => {
    const incident = await createIncident();
    const path = `/v1/incidents/${incident.id}`;
    expectProblem(
      await refused(() => t.http.patch(path).send({ parent_id: incident.id })),
      path,
      unprocessable('An incident cannot be part of itself or of its own descendants.', [
        { path: 'body.parent_id', message: 'would make a cycle of parents' },
      ]),
    );
  });

  test('a PATCH moving occurred_to before the stored occurred_from', async () => {
    const incident = await createIncident({ occurred_from: '2025-03-06' });
    const path = `/v1/incidents/${incident.id}`;
    const res = await refused(() => t.http.patch(path).send({ occurred_to: '2025-01-01', title: 'Changed' }));
    expectProblem(
      res,
      path,
      unprocessable(
        'occurred_to must not be before occurred_from.',
        [{ path: 'body.occurred_to', message: 'occurred_to must not be before occurred_from.' }],
        'incidents_occurred_range_check',
      ),
    );
  });

  test('a PATCH giving a latitude without a longitude', async () => {
    const incident = await createIncident();
    const path = `/v1/incidents/${incident.id}`;
    const res = await refused(() => t.http.patch(path).send({ latitude: 35.5 }));
    expectProblem(
      res,
      path,
      unprocessable(
        'latitude and longitude must be given together (or both be null).',
        [
          {
            path: 'body.latitude',
            message: 'latitude and longitude must be given together (or both be null).',
          },
        ],
        'incidents_coordinates_pair_check',
      ),
    );
  });
});

describe('application/merge-patch+json', () => {
  test.each(['application/merge-patch+json', 'application/merge-patch+json; charset=utf-8'])(
    'is accepted for PATCH (%s)',
    async (contentType) => {
      const source = await createSource({ notes: 'to be cleared' });
      const res = await t.http
        .patch(`/v1/sources/${source.id}`)
        .set('content-type', contentType)
        .send(JSON.stringify({ reliability: 'B', notes: null }))
        .expect(200);
      expect(res.body).toEqual({
        ...source,
        reliability: 'B',
        notes: null,
        version: 2,
        updated_at: expect.any(String),
      });
    },
  );

  test('a malformed merge patch is a 400 like malformed JSON', async () => {
    const source = await createSource();
    const path = `/v1/sources/${source.id}`;
    const res = await refused(() =>
      t.http.patch(path).set('content-type', 'application/merge-patch+json').send('{"name":'),
    );
    expectProblem(res, path, {
      type: '/problems/bad-request',
      title: 'Bad Request',
      status: 400,
      detail: "Body is not valid JSON but content-type is set to 'application/json'",
    });
  });
});

describe('x-request-id', () => {
  test('a well-formed incoming id is echoed in the header and in problem bodies', async () => {
    const id = 'partner-sync:2025-03-07.run_42';
    const ok = await t.http.get('/healthz').set('x-request-id', id).expect(200);
    expect(ok.headers['x-request-id']).toBe(id);

    const res = await t.http.get(`/v1/sources/${MISSING}`).set('x-request-id', id);
    expect(res.headers['content-type']).toBe(PROBLEM_JSON);
    expect(res.headers['x-request-id']).toBe(id);
    expect(res.body).toEqual({
      ...notFound(`No source with id ${MISSING}.`),
      instance: `/v1/sources/${MISSING}`,
      request_id: id,
    });
  });

  test('an id of 128 characters is kept', async () => {
    const id = 'a'.repeat(128);
    expect((await t.http.get('/healthz').set('x-request-id', id)).headers['x-request-id']).toBe(id);
  });

  test.each([
    ['129 characters', 'a'.repeat(129)],
    ['300 characters', 'b'.repeat(300)],
    ['spaces', 'two words'],
    ['quotes', '"quoted"'],
    ['non-ASCII', 'café'],
  ])('an id with %s is replaced by a fresh one', async (_, id) => {
    const res = await t.http.get('/healthz').set('x-request-id', id).expect(200);
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  test('without one, every response gets a fresh id', async () => {
    const [a, b] = await Promise.all([t.http.get('/healthz'), t.http.get('/healthz')]);
    expect(a!.headers['x-request-id']).toMatch(UUID);
    expect(b!.headers['x-request-id']).toMatch(UUID);
    expect(a!.headers['x-request-id']).not.toBe(b!.headers['x-request-id']);
  });
});

describe('hostile input is refused, never a 500', () => {
  const json = (path: string, body: string) => () =>
    t.http.post(path).set('content-type', 'application/json').send(body);
  const notJson = {
    type: '/problems/bad-request',
    title: 'Bad Request',
    status: 400,
    detail: "Body is not valid JSON but content-type is set to 'application/json'",
  };
  const deep = 10_000;

  test.each<[string, () => Test, string, ExpectedProblem]>([
    [
      'a figure of 1e20',
      json('/v1/claims', `{"incident_id":"${MISSING}","source_id":"${MISSING}","killed":1e20}`),
      '/v1/claims',
      invalid('body', [
        { path: 'body.killed', message: 'Too big: expected int to be <=9007199254740991' },
        { path: 'body.killed', message: 'Too big: expected number to be <=2147483647' },
      ]),
    ],
    [
      'a figure of 2**31 (one past a PostgreSQL integer)',
      () => t.http.post('/v1/claims').send({ incident_id: MISSING, source_id: MISSING, killed: 2 ** 31 }),
      '/v1/claims',
      invalid('body', [{ path: 'body.killed', message: 'Too big: expected number to be <=2147483647' }]),
    ],
    [
      'coordinates of 1e20',
      json(
        '/v1/incidents',
        '{"title":"x","category":"battle","occurred_from":"2025-03-06","latitude":1e20,"longitude":-1e20}',
      ),
      '/v1/incidents',
      invalid('body', [
        { path: 'body.latitude', message: 'Too big: expected number to be <=90' },
        { path: 'body.longitude', message: 'Too small: expected number to be >=-180' },
      ]),
    ],
    [
      'a limit of 2**31',
      () => t.http.get(`/v1/sources?limit=${2 ** 31}`),
      '/v1/sources',
      invalid('query', [{ path: 'query.limit', message: 'Too big: expected number to be <=1000' }]),
    ],
    [
      'a NUL byte in a body string',
      () => t.http.post('/v1/sources').send({ name: 'SN\u0000HR', kind: 'monitor' }),
      '/v1/sources',
      invalid('body', [{ path: 'body.name', message: 'must not contain NUL characters' }]),
    ],
    [
      'a NUL byte in a query value',
      () => t.http.get('/v1/sources?q=SN%00HR'),
      '/v1/sources',
      invalid('query', [{ path: 'query.q', message: 'must not contain NUL characters' }]),
    ],
    [
      'a NUL byte in a path id',
      () => t.http.get('/v1/sources/%00'),
      '/v1/sources/%00',
      invalid('path', [{ path: 'path.id', message: 'must be a UUID' }]),
    ],
    [
      'a lone surrogate in a body string',
      json('/v1/sources', '{"name":"SNHR \\ud800","kind":"monitor"}'),
      '/v1/sources',
      invalid('body', [{ path: 'body.name', message: 'must be well-formed Unicode' }]),
    ],
    [
      'a lone low surrogate in a claim statement',
      json(
        '/v1/claims',
        `{"incident_id":"${MISSING}","source_id":"${MISSING}","statement":"\\udc00 killed"}`,
      ),
      '/v1/claims',
      invalid('body', [{ path: 'body.statement', message: 'must be well-formed Unicode' }]),
    ],
    [`${deep} unclosed levels of [`, json('/v1/sources', '['.repeat(deep)), '/v1/sources', notJson],
    [
      `${deep} closed levels of [ ] where an object is expected`,
      json('/v1/sources', '['.repeat(deep) + ']'.repeat(deep)),
      '/v1/sources',
      invalid('body', [{ path: 'body', message: 'Invalid input: expected object, received array' }]),
    ],
    [
      `${deep} levels of nesting inside a field`,
      json(
        '/v1/incidents',
        `{"title":"x","category":"battle","occurred_from":"2025-03-06","tags":${'['.repeat(deep)}${']'.repeat(deep)}}`,
      ),
      '/v1/incidents',
      invalid('body', [{ path: 'body.tags.0', message: 'Invalid input: expected string, received array' }]),
    ],
    [
      'an array where the body object is expected',
      json('/v1/sources', '[{"name":"SNHR","kind":"monitor"}]'),
      '/v1/sources',
      invalid('body', [{ path: 'body', message: 'Invalid input: expected object, received array' }]),
    ],
    [
      'arrays and objects swapped inside the body',
      () =>
        t.http.post('/v1/incidents').send({
          title: 'x',
          category: 'battle',
          occurred_from: '2025-03-06',
          actors: [['Loyalists', 'perpetrator']],
          external_ids: { system: 'acled', id: 'SYR1' },
        }),
      '/v1/incidents',
      invalid('body', [
        { path: 'body.actors.0', message: 'Invalid input: expected object, received array' },
        { path: 'body.external_ids', message: 'Invalid input: expected array, received object' },
      ]),
    ],
    [
      'a JSON null body',
      json('/v1/sources', 'null'),
      '/v1/sources',
      invalid('body', [{ path: 'body', message: 'Invalid input: expected object, received null' }]),
    ],
    [
      'a 5,000-character query value',
      () => t.http.get(`/v1/sources?q=${'q'.repeat(5000)}`),
      '/v1/sources',
      invalid('query', [{ path: 'query.q', message: 'Too big: expected string to have <=200 characters' }]),
    ],
    [
      'a 5,000-character cursor',
      () => t.http.get(`/v1/incidents?cursor=${'c'.repeat(5000)}`),
      '/v1/incidents',
      invalid('query', [
        { path: 'query.cursor', message: 'Too big: expected string to have <=2048 characters' },
      ]),
    ],
    [
      'a date that does not exist',
      () =>
        t.http.post('/v1/incidents').send({ title: 'x', category: 'battle', occurred_from: '2025-02-30' }),
      '/v1/incidents',
      invalid('body', [{ path: 'body.occurred_from', message: 'must be a date, YYYY-MM-DD' }]),
    ],
    [
      'a year PostgreSQL cannot store',
      () =>
        t.http
          .post('/v1/claims')
          .send({ incident_id: MISSING, source_id: MISSING, published_at: '+275760-09-13T00:00:00Z' }),
      '/v1/claims',
      invalid('body', [
        { path: 'body.published_at', message: 'must be an RFC 3339 date-time, e.g. 2025-03-07T12:00:00Z' },
        { path: 'body.published_at', message: 'must be between years 1 and 9999' },
      ]),
    ],
    [
      'a javascript: URL',
      () => t.http.post('/v1/sources').send({ name: 'x', kind: 'monitor', url: 'javascript:alert(1)' }),
      '/v1/sources',
      invalid('body', [{ path: 'body.url', message: 'must be an http(s) URL' }]),
    ],
  ])('%s', async (_, request, instance, expected) => {
    expectProblem(await refused(request), instance, expected);
  });

  test('a query value with unpaired percent-encoding or a lone surrogate is taken as text', async () => {
    for (const q of ['%', '%ED%A0%80', '%E0%A4%A']) {
      const res = await t.http.get(`/v1/sources?q=${q}`);
      expect([res.status, res.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8']);
      expect(res.body).toEqual({ data: [], next_cursor: null });
    }
  });

  // The router answers these two before any hook or handler runs; they must still be problem details.
  test('a 5,000-character path id: 414, without echoing the path a second time in detail', async () => {
    const path = `/v1/sources/${'a'.repeat(5000)}`;
    const res = await refused(() => t.http.get(path));
    expect([res.status, res.headers['content-type']]).toEqual([414, PROBLEM_JSON]);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(res.body).toEqual({
      type: '/problems/uri-too-long',
      title: 'URI Too Long',
      status: 414,
      detail: expect.not.stringContaining('aaaaaaaaaa'),
      instance: path,
      request_id: res.headers['x-request-id'],
    });
  });

  test('broken percent-encoding in the path: 400', async () => {
    const path = '/v1/sources/%E0%A4%A';
    const res = await refused(() => t.http.get(path));
    expect([res.status, res.headers['content-type']]).toEqual([400, PROBLEM_JSON]);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(res.body).toEqual({
      type: '/problems/bad-request',
      title: 'Bad Request',
      status: 400,
      detail: expect.any(String),
      instance: path,
      request_id: res.headers['x-request-id'],
    });
  });
});

describe('500: an unexpected failure discloses nothing internal', () => {
  let broken: TestApp;
  beforeAll(async () => {
    broken = await createTestApp();
    await broken.database.close();
  });
  // Closing the database twice is harmless, so the usual cleanup still drops it.
  afterAll(() => broken.close());

  test('a list on a closed database answers the generic problem with the request id only', async () => {
    // Nothing can be read back from a closed database; a GET writes nothing in any case.
    const res = await broken.anonymous.get('/v1/sources');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe(PROBLEM_JSON);
    const requestId = res.headers['x-request-id'];
    expect(requestId).toMatch(UUID);
    expect(res.body).toEqual({
      type: '/problems/internal',
      title: 'Internal Server Error',
      status: 500,
      detail: `An unexpected error occurred. It has been logged with request id ${requestId}.`,
      instance: '/v1/sources',
      request_id: requestId,
    });
    // The standard title says "Error"; everything else must carry no trace of the failure.
    const { title: _title, ...rest } = res.body as Body;
    const disclosed = JSON.stringify(rest);
    for (const word of ['Error', 'at ', 'SELECT', 'select', 'pglite', 'pg', 'stack', 'pool'])
      expect(disclosed).not.toContain(word);
  });

  test('readiness says the database is unavailable', async () => {
    const res = await broken.http.get('/readyz');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe(PROBLEM_JSON);
    expect(res.body).toEqual({
      type: '/problems/unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The database is not reachable.',
      instance: '/readyz',
      request_id: res.headers['x-request-id'],
    });
  });
});
