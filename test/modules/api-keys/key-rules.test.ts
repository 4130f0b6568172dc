import { sql } from 'drizzle-orm';
import supertest from 'supertest';
import { queryRows } from '../../../src/db/client';
import { createTestApp, type TestApp } from '../../helpers/app';
import { serverUrl } from '../../helpers/database';

/** The rules that keep keys safe: an idempotent creation, a last admin key, failed authentications, cursors. */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const onServer = serverUrl ? test : test.skip;

const keysNamed = async (name: string) =>
  (
    await queryRows<{ n: number }>(
      t.database.db,
      sql`SELECT count(*)::int AS n FROM api_keys WHERE name = ${name}`,
    )
  )[0]!.n;

describe('POST /v1/api-keys with an Idempotency-Key', () => {
  test('a retry gets the same key, without its secret, and no second key is minted', async () => {
    const body = { name: 'Night desk', role: 'admin' };
    const first = await t.http
      .post('/v1/api-keys')
      .set('idempotency-key', 'key-retry-1')
      .send(body)
      .expect(201);
    expect(first.body.secret).toMatch(/^cbk_[A-Za-z0-9_-]{43}$/);
    const retry = await t.http
      .post('/v1/api-keys')
      .set('idempotency-key', 'key-retry-1')
      .send(body)
      .expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers.location).toBe(`/v1/api-keys/${first.body.id}`);
    expect(retry.body).toEqual({ ...first.body, secret: null });
    expect(await keysNamed('Night desk')).toBe(1);
    // The secret is stored nowhere: not in the remembered response either.
    const stored = await queryRows<{ body: string }>(
      t.database.db,
      sql`SELECT response_body::text AS body FROM idempotency_keys WHERE key = 'key-retry-1'`,
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]!.body).not.toContain(first.body.secret);
    // The first key works; the retry minted nothing that could.
    await supertest(t.app.server)
      .get('/v1/api-keys')
      .set('authorization', `Bearer ${first.body.secret}`)
      .expect(200);
  });

  test('the same key with another body is refused (422) and creates nothing', async () => {
    await t.http
      .post('/v1/api-keys')
      .set('idempotency-key', 'key-retry-2')
      .send({ name: 'A', role: 'reader' })
      .expect(201);
    const res = await t.http
      .post('/v1/api-keys')
      .set('idempotency-key', 'key-retry-2')
      .send({ name: 'B', role: 'admin' })
      .expect(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toBe('/problems/idempotency-key-reused');
    expect(await keysNamed('B')).toBe(0);
  });
});

describe('the last live admin key', () => {
  test('cannot be revoked (409); once another admin key exists, it can', async () => {
    // An app of its own: its admin key is the only one, and this test revokes it.
    const fresh = await createTestApp();
    const liveAdminsOf = async () =>
      (
        await queryRows<{ n: number }>(
          fresh.database.db,
          sql`SELECT count(*)::int AS n FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL`,
        )
      )[0]!.n;
    try {
      expect(await liveAdminsOf()).toBe(1);
      const refused = await fresh.http.delete(`/v1/api-keys/${fresh.admin.id}`).expect(409);
      expect(refused.body).toMatchObject({
        type: '/problems/conflict',
        status: 409,
        constraint: 'last_admin_key',
        detail: 'This is the last live admin key: create another admin key before revoking it.',
      });
      expect(await liveAdminsOf()).toBe(1);

      const other = await fresh.http
        .post('/v1/api-keys')
        .send({ name: 'Second admin', role: 'admin' })
        .expect(201);
      const asOther = supertest.agent(fresh.app.server).set('authorization', `Bearer ${other.body.secret}`);
      await asOther.delete(`/v1/api-keys/${fresh.admin.id}`).expect(204);
      await asOther.delete(`/v1/api-keys/${other.body.id}`).expect(409);
      expect(await liveAdminsOf()).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  onServer('two admin keys revoked at once: one revocation wins, one admin key stays', async () => {
    const fresh = await createTestApp();
    try {
      const second = await fresh.http.post('/v1/api-keys').send({ name: 'Twin', role: 'admin' }).expect(201);
      const asSecond = supertest.agent(fresh.app.server).set('authorization', `Bearer ${second.body.secret}`);
      const results = await Promise.all([
        fresh.http.delete(`/v1/api-keys/${second.body.id}`),
        asSecond.delete(`/v1/api-keys/${fresh.admin.id}`),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([204, 409]);
      const [{ n }] = (await queryRows<{ n: number }>(
        fresh.database.db,
        sql`SELECT count(*)::int AS n FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL`,
      )) as [{ n: number }];
      expect(n).toBe(1);
    } finally {
      await fresh.close();
    }
  });
});

describe('failed authentications', () => {
  test('count against the caller’s address: random well-formed keys end in 429, as anonymous floods do', async () => {
    const limited = await createTestApp({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '5' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const guess = `cbk_${Buffer.from(`guess number ${i} of many`.padEnd(32, '.')).toString('base64url').slice(0, 43)}`;
        const res = await limited.anonymous.get('/v1/incidents').set('authorization', `Bearer ${guess}`);
        statuses.push(res.status);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});

describe('cursor errors', () => {
  test('name no order of the server’s own, such as the digest a relevance cursor carries', async () => {
    await t.http
      .post('/v1/incidents')
      .send({ title: 'Shelling', category: 'battle', occurred_from: '2025-03-06' });
    await t.http
      .post('/v1/incidents')
      .send({ title: 'Shelling again', category: 'battle', occurred_from: '2025-03-07' });
    const page = await t.http.get('/v1/incidents?q=shelling&limit=1').expect(200);
    expect(page.body.next_cursor).toEqual(expect.any(String));
    for (const url of [
      `/v1/incidents?q=other&cursor=${page.body.next_cursor}`,
      `/v1/incidents?cursor=${page.body.next_cursor}`,
      `/v1/api-keys?cursor=${page.body.next_cursor}`,
    ]) {
      const res = await t.http.get(url).expect(400);
      expect(res.body.type).toBe('/problems/invalid-cursor');
      expect(JSON.stringify(res.body)).not.toMatch(/relevance|sort=|created_at|occurred_from/);
    }
  });
});
