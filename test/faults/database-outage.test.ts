import pg from 'pg';
import { createTestDatabase, serverUrl, type TestDatabase } from '../helpers/database';
import { expectProblem, incidentBody } from '../helpers/factories';
import { appOnServer, type ServerApp } from './server-app';
import { TcpProxy } from './tcp-proxy';

// A proxy in front of the PostgreSQL server stands in for the server going away; PGlite cannot go away.
const onServer = serverUrl ? describe : describe.skip;

const UNREACHABLE = {
  type: '/problems/unavailable',
  title: 'Service Unavailable',
  status: 503,
  detail: 'The database is not reachable right now; retry later.',
};
// What a request with an API key gets once the key cache has expired while the database is away.
const KEYS_UNCHECKED = 'API keys cannot be checked: the database is not reachable; retry later.';

const OUTAGES = 3;
const POOL_MAX = 4;
const WRITERS = 4;

interface Write {
  /** Periods alternate, starting with the server up: even while it is up, odd while it is away. */
  sentDuring: number;
  answeredDuring?: number;
  title: string;
  status?: number;
  body?: Record<string, unknown>;
  contentType?: string;
  retryAfter?: string;
  /** A request that got no answer at all (a network error or the client's own timeout). */
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isDown = (period: number) => period % 2 === 1;

async function until(what: string, check: () => boolean | Promise<boolean>, withinMs = 15_000) {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await sleep(50);
  }
}

onServer('the database server goes away during a stream of writes and comes back', () => {
  let testDb: TestDatabase;
  let proxy: TcpProxy;
  let t: ServerApp;
  let closed = false;
  // Straight to the server, past the proxy: what is really stored.
  let direct: pg.Client;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    const target = new URL(testDb.url!);
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.start();
    const proxied = new URL(testDb.url!);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    // A pool no larger than the number of writers: a connection lost for good would show as a stall.
    t = await appOnServer(proxied.toString(), {
      DB_POOL_MAX: String(POOL_MAX),
      // Shedding under a busy machine would answer 503 too; this is about the database.
      MAX_EVENT_LOOP_DELAY_MS: '0',
    });
    direct = new pg.Client({ connectionString: testDb.url });
    await direct.connect();
  });
  afterAll(async () => {
    await direct?.end();
    if (!closed) await t?.close();
    await proxy?.cut();
    await testDb?.drop();
  });

  test(`${OUTAGES} outages: 503 while away, recovery without a restart, every acknowledged write kept`, async () => {
    let period = 0;
    let running = true;
    const writes: Write[] = [];

    async function writer(n: number) {
      for (let i = 0; running; i++) {
        const write: Write = { sentDuring: period, title: `Outage write ${n}.${i}` };
        writes.push(write);
        try {
          const res = await t.http
            .post('/v1/incidents')
            .send(incidentBody({ title: write.title }))
            .timeout(10_000);
          write.status = res.status;
          write.body = res.body as Record<string, unknown>;
          write.contentType = res.headers['content-type'];
          write.retryAfter = res.headers['retry-after'];
        } catch (err) {
          write.error = String(err);
        }
        write.answeredDuring = period;
        // Refusals come back at once; a short pause keeps the stream from spinning.
        if (write.status !== 201) await sleep(20);
      }
    }

    const acknowledgedDuring = (p: number) => writes.filter((w) => w.sentDuring === p && w.status === 201);
    const writers = Array.from({ length: WRITERS }, (_, n) => writer(n));
    const recoveries: number[] = [];
    try {
      for (let outage = 0; outage < OUTAGES; outage++) {
        const upPeriod = period;
        await until('writes are acknowledged', () => acknowledgedDuring(upPeriod).length >= 10);

        await proxy.cut();
        period++;
        const downSince = Date.now();

        const ready = await t.anonymous.get('/readyz').timeout(10_000);
        expectProblem(ready, { ...UNREACHABLE, detail: 'The database is not reachable.' });
        expect(ready.headers['retry-after']).toBe('5');
        const read = await t.anonymous.get('/v1/incidents').timeout(10_000);
        expectProblem(read, UNREACHABLE);
        expect(read.headers['retry-after']).toBe('5');
        // Liveness does not depend on the database.
        await t.anonymous.get('/healthz').expect(200);

        const downPeriod = period;
        await until('writes are refused while it is away', () =>
          writes.some((w) => w.sentDuring === downPeriod && w.answeredDuring === downPeriod),
        );
        await sleep(Math.max(0, 1000 - (Date.now() - downSince)));

        await proxy.start();
        period++;
        const restoredAt = Date.now();
        await until('the app is ready again', async () => (await t.anonymous.get('/readyz')).status === 200);
        recoveries.push(Date.now() - restoredAt);
      }
      const lastPeriod = period;
      await until(
        'writes are acknowledged after the last outage',
        () => acknowledgedDuring(lastPeriod).length >= 10,
      );
    } finally {
      running = false;
      await Promise.all(writers);
    }

    // The same process recovered by itself each time, and quickly: the pool reconnects as soon as it can.
    for (const ms of recoveries) expect(ms).toBeLessThan(5_000);

    // Every request got an answer, and every answer was an acknowledgement or a clean 503.
    expect(writes.filter((w) => w.error)).toEqual([]);
    expect(writes.filter((w) => w.status !== 201 && w.status !== 503)).toEqual([]);
    for (const refused of writes.filter((w) => w.status === 503)) {
      expect(refused.contentType).toBe('application/problem+json; charset=utf-8');
      expect(refused.retryAfter).toBe('5');
      expect(refused.body).toMatchObject({ type: '/problems/unavailable', status: 503 });
      // Nothing internal: one of the fixed explanations, no driver message or address.
      expect([UNREACHABLE.detail, KEYS_UNCHECKED]).toContain(refused.body?.detail);
    }
    // A write sent and answered while the server was away cannot have been acknowledged.
    const whileDown = writes.filter((w) => isDown(w.sentDuring) && w.answeredDuring === w.sentDuring);
    expect(whileDown.length).toBeGreaterThanOrEqual(OUTAGES);
    expect(whileDown.filter((w) => w.status !== 503)).toEqual([]);

    // Every acknowledged write is stored, as acknowledged.
    const stored = await direct.query<{ id: string; title: string }>('SELECT id, title FROM incidents');
    const storedTitles = new Map(stored.rows.map((r) => [r.id, r.title]));
    const acknowledged = writes.filter((w) => w.status === 201);
    expect(acknowledged.filter((w) => storedTitles.get(String(w.body?.id)) !== w.title)).toEqual([]);

    // Every connection went back to the pool: closing it waits for each one, and would hang on one lost.
    closed = true;
    const closing = t.close().then(() => 'closed');
    expect(await Promise.race([closing, sleep(5_000).then(() => 'a connection was never returned')])).toBe(
      'closed',
    );
  });
});
