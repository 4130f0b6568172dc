import pg from 'pg';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client';
import { createTestDatabase, serverUrl, type TestDatabase } from '../helpers/database';
import { countRows, expectProblem, incidentBody } from '../helpers/factories';
import { appOnServer, type ServerApp } from './server-app';

// PGlite has no statement timeout: these run on the PostgreSQL server only.
const onServer = serverUrl ? describe : describe.skip;

const TIMEOUT_MS = 1000;

const TIMED_OUT = {
  type: '/problems/unavailable',
  title: 'Service Unavailable',
  status: 503,
  detail: 'The request took longer than the database allows; retry later.',
};

onServer('a query that runs into STATEMENT_TIMEOUT_MS', () => {
  let testDb: TestDatabase;
  let t: ServerApp;
  // Another session holding a lock that the app's queries must wait for, as a long migration or a stuck
  // maintenance job would.
  let locker: pg.Client;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    t = await appOnServer(testDb.url!, {
      STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS),
      // Shedding under a busy machine would answer 503 too; this is about the database.
      MAX_EVENT_LOOP_DELAY_MS: '0',
    });
    locker = new pg.Client({ connectionString: testDb.url });
    await locker.connect();
  });
  afterAll(async () => {
    await locker.end();
    await t.close();
    await testDb.drop();
  });

  /** Runs `during` while incidents is locked by the other session, and releases the lock whatever happens. */
  async function whileIncidentsLocked<T>(during: () => Promise<T>): Promise<T> {
    await locker.query('BEGIN');
    try {
      await locker.query('LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE');
      return await during();
    } finally {
      await locker.query('ROLLBACK');
    }
  }

  /** The request's response and how long it took. */
  async function timed<T>(request: () => PromiseLike<T>): Promise<{ res: T; ms: number }> {
    const started = performance.now();
    const res = await request();
    return { res, ms: performance.now() - started };
  }

  test('every pooled connection runs with the configured statement_timeout', async () => {
    // Concurrent queries that each hold their connection a moment, so that they run on different connections.
    const rows = await Promise.all(
      [1, 2, 3].map(() =>
        queryRows<{ pid: number; setting: string }>(
          t.database.db,
          sql`SELECT pg_backend_pid() AS pid, current_setting('statement_timeout') AS setting, pg_sleep(0.2)`,
        ),
      ),
    );
    expect(new Set(rows.map(([row]) => row?.pid)).size).toBe(3);
    expect(rows.map(([row]) => row?.setting)).toEqual(Array(3).fill(`${TIMEOUT_MS / 1000}s`));
  });

  test('a list blocked behind a lock answers 503 problem+json with Retry-After once the timeout passes', async () => {
    const { res, ms } = await whileIncidentsLocked(() =>
      timed(() => t.anonymous.get('/v1/incidents').timeout(4 * TIMEOUT_MS)),
    );
    expectProblem(res, TIMED_OUT);
    expect(res.headers['retry-after']).toBe('5');
    // It waited for the timeout (so the lock did hold it), and not much longer.
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
    expect(ms).toBeLessThan(TIMEOUT_MS * 2);
  });

  test('a write that times out answers 503 and leaves nothing behind', async () => {
    const before = await countRows(t.database, 'incidents');
    const { res, ms } = await whileIncidentsLocked(() =>
      timed(() =>
        t.http
          .post('/v1/incidents')
          .send(incidentBody({ title: 'Written while the table was locked' }))
          .timeout(4 * TIMEOUT_MS),
      ),
    );
    expectProblem(res, TIMED_OUT);
    expect(res.headers['retry-after']).toBe('5');
    expect(ms).toBeLessThan(TIMEOUT_MS * 2);
    expect(await countRows(t.database, 'incidents')).toBe(before);
  });

  test('once the lock is gone the same pool answers normally', async () => {
    const created = await t.http.post('/v1/incidents').send(incidentBody({ title: 'After the lock' }));
    expect(created.status).toBe(201);
    const list = await t.anonymous.get('/v1/incidents');
    expect(list.status).toBe(200);
    expect((list.body as { data: { id: string }[] }).data.map((i) => i.id)).toContain(created.body.id);
  });
});
