import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { queryRows } from '../../src/db/client';
import { createTestApp, type TestApp } from '../helpers/app';
import { serverUrl } from '../helpers/database';
import {
  claimBody,
  countRows,
  createIncident,
  createSource,
  expectProblem,
  incidentBody,
  sourceBody,
  type ExpectedProblem,
} from '../helpers/factories';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const onServer = serverUrl ? it : it.skip;

const REUSED: ExpectedProblem = {
  type: '/problems/idempotency-key-reused',
  title: 'Unprocessable Content',
  status: 422,
  detail: 'This Idempotency-Key was used for a different request; use a new key for a new request.',
  errors: [{ path: 'header.idempotency-key', message: 'already used with another method, path or body' }],
};

const IN_PROGRESS: ExpectedProblem = {
  type: '/problems/idempotency-in-progress',
  title: 'Conflict',
  status: 409,
  detail: 'A request with this Idempotency-Key is still being processed; retry shortly.',
};

const INVALID_KEY: ExpectedProblem = {
  type: '/problems/validation',
  title: 'Invalid request',
  status: 400,
  detail: 'The request header is not valid: 1 problem(s), listed in errors.',
  errors: [{ path: 'header.idempotency-key', message: 'must be 1–255 visible ASCII characters' }],
};

const newKey = () => `key-${randomUUID()}`;

/** Waits, within a bound, until something observable in the database holds; polls rather than guesses. */
async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Kind {
  collection: 'sources' | 'incidents' | 'claims';
  /** A valid creation body (creating what the record refers to first). */
  body(): Promise<Record<string, unknown>>;
}

const KINDS: Kind[] = [
  { collection: 'sources', body: async () => sourceBody() },
  { collection: 'incidents', body: async () => incidentBody() },
  {
    collection: 'claims',
    body: async () =>
      claimBody((await createIncident(t.http)).id, (await createSource(t.http)).id, {
        review_status: 'accepted',
        killed: 12,
      }),
  },
];

describe.each(KINDS)('POST /v1/$collection with Idempotency-Key', ({ collection, body }) => {
  it('answers a retry with the first response, marked as replayed, writing only once', async () => {
    const key = newKey();
    const payload = await body();
    const before = await countRows(t.database, collection);

    const first = await t.http.post(`/v1/${collection}`).set('idempotency-key', key).send(payload);
    const retry = await t.http.post(`/v1/${collection}`).set('idempotency-key', key).send(payload);

    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.location).toBe(`/v1/${collection}/${first.body.id}`);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers.etag).toBe('"1"');
    expect(await countRows(t.database, collection)).toBe(before + 1);
    const history = await t.http.get(`/v1/${collection}/${first.body.id}/history`).expect(200);
    expect(history.body.data.map((e: { version: number }) => e.version)).toEqual([1]);
  });

  it('refuses the same key with a different body with 422, writing nothing', async () => {
    const key = newKey();
    const payload = await body();
    const first = await t.http
      .post(`/v1/${collection}`)
      .set('idempotency-key', key)
      .send(payload)
      .expect(201);
    const before = await countRows(t.database, collection);

    const changed = {
      sources: { notes: 'Different.' },
      incidents: { summary: 'Different.' },
      claims: { statement: 'Different.' },
    }[collection];
    const other = await t.http
      .post(`/v1/${collection}`)
      .set('idempotency-key', key)
      .send({ ...payload, ...changed });

    expectProblem(other, REUSED);
    expect(await countRows(t.database, collection)).toBe(before);
    // The first response is still the one remembered.
    const retry = await t.http
      .post(`/v1/${collection}`)
      .set('idempotency-key', key)
      .send(payload)
      .expect(201);
    expect(retry.body).toEqual(first.body);
  });
});

describe('Idempotency-Key', () => {
  it('refuses a key used on another path with 422', async () => {
    const key = newKey();
    await t.http.post('/v1/sources').set('idempotency-key', key).send(sourceBody()).expect(201);
    const before = await countRows(t.database, 'incidents');

    const res = await t.http.post('/v1/incidents').set('idempotency-key', key).send(incidentBody());

    expectProblem(res, REUSED);
    expect(await countRows(t.database, 'incidents')).toBe(before);
  });

  it('treats different keys as different requests', async () => {
    const before = await countRows(t.database, 'sources');

    const a = await t.http
      .post('/v1/sources')
      .set('idempotency-key', newKey())
      .send(sourceBody())
      .expect(201);
    const b = await t.http
      .post('/v1/sources')
      .set('idempotency-key', newKey())
      .send(sourceBody())
      .expect(201);

    expect(a.body.id).not.toBe(b.body.id);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(await countRows(t.database, 'sources')).toBe(before + 2);
  });

  it('does not keep a key whose request failed validation: a corrected retry with it succeeds', async () => {
    const key = newKey();
    const before = await countRows(t.database, 'sources');

    const invalid = await t.http
      .post('/v1/sources')
      .set('idempotency-key', key)
      .send(sourceBody({ kind: 'blog' }));
    expect(invalid.status).toBe(400);
    const corrected = await t.http.post('/v1/sources').set('idempotency-key', key).send(sourceBody());

    expect(corrected.status).toBe(201);
    expect(corrected.headers['idempotent-replayed']).toBeUndefined();
    expect(await countRows(t.database, 'sources')).toBe(before + 1);
    const replay = await t.http
      .post('/v1/sources')
      .set('idempotency-key', key)
      .send(sourceBody())
      .expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(corrected.body);
  });

  it('does not keep a key whose request was refused by the service: a corrected retry with it succeeds', async () => {
    const key = newKey();
    const source = await createSource(t.http);
    const incident = await createIncident(t.http);
    const before = await countRows(t.database, 'claims');

    const refused = await t.http
      .post('/v1/claims')
      .set('idempotency-key', key)
      .send(claimBody(UNKNOWN_ID, source.id));
    expect(refused.status).toBe(422);
    const corrected = await t.http
      .post('/v1/claims')
      .set('idempotency-key', key)
      .send(claimBody(incident.id, source.id));

    expect(corrected.status).toBe(201);
    expect(corrected.body.incident_id).toBe(incident.id);
    expect(await countRows(t.database, 'claims')).toBe(before + 1);
  });

  it('lets ten parallel identical requests with one key write once: the rest replay or get 409', async () => {
    const key = newKey();
    const payload = sourceBody({ name: 'Parallel retries' });
    const before = await countRows(t.database, 'sources');

    const responses = await Promise.all(
      Array.from({ length: 10 }, () => t.http.post('/v1/sources').set('idempotency-key', key).send(payload)),
    );

    expect(await countRows(t.database, 'sources')).toBe(before + 1);
    const succeeded = responses.filter((r) => r.status === 201);
    const conflicted = responses.filter((r) => r.status === 409);
    expect(succeeded.length + conflicted.length).toBe(10);
    expect(succeeded.length).toBeGreaterThanOrEqual(1);
    const ids = new Set(succeeded.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(succeeded.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    for (const res of conflicted) expectProblem(res, IN_PROGRESS);
    const [id] = ids;
    const replay = await t.http.post('/v1/sources').set('idempotency-key', key).send(payload).expect(201);
    expect(replay.body.id).toBe(id);
  });

  onServer('answers 409 to a retry while the first request is still running', async () => {
    const key = newKey();
    const incident = await createIncident(t.http);
    const source = await createSource(t.http);
    const payload = claimBody(incident.id, source.id, { review_status: 'accepted', killed: 5 });
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM incidents WHERE id = $1 FOR UPDATE', [incident.id]);

      let settled = false;
      const first = t.http
        .post('/v1/claims')
        .set('idempotency-key', key)
        .send(payload)
        .then((res) => {
          settled = true;
          return res;
        });
      // The first request has claimed the key and is waiting for the incident's lock.
      await waitUntil('the first request waits for the incident lock', async () => {
        const [row] = await queryRows<{ waiting: number }>(
          t.database.db,
          sql`SELECT count(*)::int AS waiting FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return row!.waiting > 0;
      });

      const retry = await t.http.post('/v1/claims').set('idempotency-key', key).send(payload);

      expectProblem(retry, IN_PROGRESS);
      expect(settled).toBe(false);
      await holder.query('COMMIT');
      const res = await first;
      expect(res.status).toBe(201);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      const replay = await t.http.post('/v1/claims').set('idempotency-key', key).send(payload).expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(res.body);
      const claims = await t.http.get(`/v1/incidents/${incident.id}/claims`).expect(200);
      expect(claims.body.data.map((c: { id: string }) => c.id)).toEqual([res.body.id]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  });

  it.each([
    ['300 characters', 'k'.repeat(300)],
    ['a space', 'my key'],
    ['a non-ASCII character', 'clé-1'],
  ])('refuses a key with %s with 400, writing nothing', async (_, key) => {
    const before = await countRows(t.database, 'sources');

    const res = await t.http.post('/v1/sources').set('idempotency-key', key).send(sourceBody());

    expectProblem(res, INVALID_KEY);
    expect(await countRows(t.database, 'sources')).toBe(before);
  });

  it('accepts a key of 255 visible characters', async () => {
    const key = `${'~'.repeat(200)}${'!'.repeat(55)}`;

    await t.http.post('/v1/sources').set('idempotency-key', key).send(sourceBody()).expect(201);
    const replay = await t.http
      .post('/v1/sources')
      .set('idempotency-key', key)
      .send(sourceBody())
      .expect(201);

    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('creates a second record for a retry without a key', async () => {
    const before = await countRows(t.database, 'sources');

    await t.http.post('/v1/sources').send(sourceBody()).expect(201);
    await t.http.post('/v1/sources').send(sourceBody()).expect(201);

    expect(await countRows(t.database, 'sources')).toBe(before + 2);
  });

  it('replays a verification ruling without ruling again', async () => {
    const key = newKey();
    const incident = await createIncident(t.http);
    const ruling = { status: 'verified', rationale: 'Geolocated video.' };

    const first = await t.http
      .post(`/v1/incidents/${incident.id}/verification`)
      .set('idempotency-key', key)
      .send(ruling)
      .expect(200);
    const retry = await t.http
      .post(`/v1/incidents/${incident.id}/verification`)
      .set('idempotency-key', key)
      .send(ruling);

    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers.etag).toBe('"2"');
    expect(retry.body).toEqual(first.body);
    const history = await t.http.get(`/v1/incidents/${incident.id}/history`).expect(200);
    expect(history.body.data.map((e: { version: number }) => e.version)).toEqual([1, 2]);
  });
});
