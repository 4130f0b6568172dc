/**
 * Stops and starts the PostgreSQL server itself under a stream of writes, and reports what the API did: how many
 * writes it acknowledged, how many it refused with 503 while the server was down, how long it took to be ready
 * again (without a restart of its own), and how many acknowledged writes are missing afterwards (must be 0).
 *
 * It stops the whole server: run it only when nothing else is using it. The app runs as for the benchmarks
 * (bench/server.ts) on a scratch database that is dropped at the end; the server is started again in every case.
 *
 *   npx tsx bench/faults/pg-restart.ts [--cluster 15/main] [--writers 8] [--before 3] [--down 3] [--after 3]
 *
 * Exits 1 when an acknowledged write is missing, or when a write got anything but 201 or a 503 problem.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { openPostgres } from '../../src/db/client';
import { createServices } from '../../src/services';
import {
  arg,
  databaseUrl,
  machineFacts,
  maintenanceQuery,
  ms,
  numberArg,
  startServer,
  table,
  type ServerChild,
} from '../common';

const run = promisify(execFile);

const [PG_VERSION, PG_CLUSTER] = arg('cluster', '15/main').split('/') as [string, string];
const WRITERS = numberArg('writers', 8);
const BEFORE_S = numberArg('before', 3);
const DOWN_S = numberArg('down', 3);
const AFTER_S = numberArg('after', 3);

/** Stops (fast: open sessions are ended, as on a real restart) or starts the cluster, waiting until it is done. */
async function cluster(action: 'stop' | 'start') {
  await run('pg_ctlcluster', [PG_VERSION, PG_CLUSTER, action, ...(action === 'stop' ? ['-m', 'fast'] : [])]);
}

async function clusterIsRunning(): Promise<boolean> {
  // `status` exits 0 when the server runs and 3 when it does not.
  return run('pg_ctlcluster', [PG_VERSION, PG_CLUSTER, 'status']).then(
    () => true,
    () => false,
  );
}

interface Write {
  title: string;
  sentAt: number;
  answeredAt?: number;
  status?: number;
  contentType?: string;
  body?: { id?: string; type?: string };
  error?: string;
}

function post(agent: http.Agent, base: string, key: string, write: Write): Promise<void> {
  const body = JSON.stringify({
    title: write.title,
    category: 'explosion_remote_violence',
    occurred_from: '2025-03-07',
  });
  return new Promise((resolve) => {
    const req = http.request(
      `${base}/v1/incidents`,
      {
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${key}`,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          write.answeredAt = Date.now();
          write.status = res.statusCode;
          write.contentType = res.headers['content-type'];
          try {
            write.body = JSON.parse(text) as Write['body'];
          } catch {
            write.error = `unparseable body: ${text.slice(0, 200)}`;
          }
          resolve();
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', (err) => {
      write.answeredAt = Date.now();
      write.error = (err as NodeJS.ErrnoException).code ?? err.message;
      resolve();
    });
    req.end(body);
  });
}

async function readyStatus(base: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${base}/readyz`, { agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

async function main() {
  if (!(await clusterIsRunning())) throw new Error(`PostgreSQL ${PG_VERSION}/${PG_CLUSTER} is not running`);
  const scratch = `corroborate_faults_${randomBytes(4).toString('hex')}`;
  // An interrupted run still starts the server again and cleans up.
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let server: ServerChild | undefined;
  let running = true;
  let writers: Promise<void>[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: WRITERS });
  try {
    await maintenanceQuery(`CREATE DATABASE ${scratch}`);
    const setup = openPostgres({
      url: databaseUrl(scratch),
      poolMax: 2,
      applicationName: 'corroborate-faults',
    });
    let key: string;
    try {
      await setup.migrate();
      key = (await createServices(setup.db).apiKeys.create({ name: 'pg-restart', role: 'contributor' }))
        .secret;
    } finally {
      await setup.close();
    }
    server = await startServer({ BENCH_DATABASE_URL: databaseUrl(scratch) });
    const base = server.base;

    const writes: Write[] = [];
    const writer = async (n: number) => {
      for (let i = 0; running; i++) {
        const write: Write = { title: `Restart write ${n}.${i}`, sentAt: Date.now() };
        writes.push(write);
        await post(agent, base, key, write);
        // Refusals come back at once; a short pause keeps the stream from spinning.
        if (write.status !== 201) await sleep(20);
      }
    };
    writers = Array.from({ length: WRITERS }, (_, n) => writer(n));
    const signal = interrupted.signal;

    await sleep(BEFORE_S * 1000, undefined, { signal });
    const stopAt = Date.now();
    await cluster('stop');
    const stoppedAt = Date.now();
    await sleep(DOWN_S * 1000, undefined, { signal });
    // pg_ctlcluster returns some time after the server accepts connections: readiness is watched from the moment
    // the start is asked for, and every duration below counts from then.
    const startAt = Date.now();
    const started = cluster('start').then(() => Date.now());
    // Awaited below; if the wait for readiness fails first, the clean-up still runs rather than the process dying.
    started.catch(() => undefined);
    while ((await readyStatus(base)) !== 200) {
      if (Date.now() - startAt > 60_000) throw new Error('the app was not ready 60 s after the start');
      await sleep(50, undefined, { signal });
    }
    const readyAt = Date.now();
    const startedAt = await started;
    await sleep(AFTER_S * 1000, undefined, { signal });
    running = false;
    await Promise.all(writers);

    const acknowledged = writes.filter((w) => w.status === 201);
    const refused = writes.filter((w) => w.status === 503);
    const cleanRefusals = refused.filter(
      (w) =>
        w.contentType?.startsWith('application/problem+json') && w.body?.type === '/problems/unavailable',
    );
    const other = writes.filter((w) => w.status !== 201 && !cleanRefusals.includes(w));
    const whileDown = (w: Write) => w.sentAt >= stopAt && w.answeredAt! <= readyAt;
    const firstAckAfterStart = acknowledged.find((w) => w.sentAt >= startAt);

    const check = new pg.Client({ connectionString: databaseUrl(scratch) });
    await check.connect();
    let stored: Set<string>;
    try {
      const { rows } = await check.query<{ id: string }>('SELECT id FROM incidents');
      stored = new Set(rows.map((r) => r.id));
    } finally {
      await check.end();
    }
    const missing = acknowledged.filter((w) => !w.body?.id || !stored.has(w.body.id));

    console.log(machineFacts({ cluster: `${PG_VERSION}/${PG_CLUSTER}`, writers: String(WRITERS) }));
    console.log();
    console.log(
      table(
        ['figure', 'value'],
        [
          ['writes sent', writes.length],
          ['writes acknowledged (201)', acknowledged.length],
          ['  of them sent before the stop', acknowledged.filter((w) => w.sentAt < stopAt).length],
          ['  of them sent after the start', acknowledged.filter((w) => w.sentAt >= startAt).length],
          ['503 problems', cleanRefusals.length],
          ['  of them while down (stop to ready)', cleanRefusals.filter(whileDown).length],
          ['anything else (must be 0)', other.length],
          ['stop took (ms)', ms(stoppedAt - stopAt)],
          ['start command took (ms)', ms(startedAt - startAt)],
          ['app ready after the start (ms)', ms(readyAt - startAt)],
          [
            'first acknowledged write after the start (ms)',
            firstAckAfterStart ? ms(firstAckAfterStart.answeredAt! - startAt) : '–',
          ],
          ['down, from the stop to ready (ms)', ms(readyAt - stopAt)],
          ['rows stored', stored.size],
          ['acknowledged writes missing (must be 0)', missing.length],
        ],
      ),
    );
    for (const w of other.slice(0, 5)) console.log('unexpected:', JSON.stringify(w));
    if (missing.length > 0 || other.length > 0) process.exitCode = 1;
  } finally {
    running = false;
    await Promise.all(writers);
    agent.destroy();
    // The server runs again whatever happened above.
    if (!(await clusterIsRunning())) await cluster('start');
    await server?.stop();
    await maintenanceQuery(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`).catch((err: unknown) =>
      console.error(`could not drop ${scratch}:`, err),
    );
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
