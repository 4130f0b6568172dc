/**
 * Throughput and latency of the app under load, beside its ceiling measured in the same run.
 *
 *   npm run bench [-- --connections 10] [--duration 10] [--warmup 2] [--slow-requests 2] [--only REGEX]
 *                    [--claim-incidents 500]
 *
 * For each scenario (GET by id, a filtered list, a deep page, q, stats, POST claim) it records the SQL one
 * request makes the app send (sql-capture.ts, on an in-process copy of the app), hands that plan to a bare
 * Fastify + pg server that replays it per request (bare-handler.ts), then loads the app (bench/server.ts) and
 * the bare server, each in its own process, with autocannon: a warm-up of each, then the measured runs in halves
 * (app, bare, bare, app). It prints req/s and p50/p95/p99 for both, the ratio app ÷ bare, and the verdict
 * against the targets.
 *
 * POST claim writes pending claims (marked by their statement) into two small sets of incidents, one for each
 * server, with a throwaway contributor key; everything written under that key is deleted at the end, and the
 * incidents are restored if a write moved them. BENCH_CPU_PROF=<dir> profiles both servers and prints where
 * their CPU time went.
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { buildApp } from '../src/app';
import { openPostgres } from '../src/db/client';
import { encodeCursor } from '../src/core/paging';
import { createServices } from '../src/services';
import {
  arg,
  BENCH_DB,
  benchConfig,
  databaseUrl,
  machineFacts,
  ms,
  numberArg,
  percentile,
  startServer,
  type ServerChild,
} from './common';
import { summariseProfile } from './cpu-profile';
import { planOf, record, type ReplayPlan } from './sql-capture';

const CONNECTIONS = Math.floor(numberArg('connections', 10));
const DURATION = numberArg('duration', 10);
const WARMUP = numberArg('warmup', 2);
/**
 * A scenario whose single request takes longer than SLOW_MS runs a fixed number of requests per connection
 * instead of a fixed time: a time limit would cut off the requests still running, and leave a handful of answers.
 */
const SLOW_MS = 200;
const SLOW_REQUESTS = Math.floor(numberArg('slow-requests', 2));
const CLAIM_INCIDENTS = Math.floor(numberArg('claim-incidents', 500));
const ONLY = arg('only') ? new RegExp(arg('only')!) : undefined;

/** Starts the statement of every claim this benchmark writes, so that a stray one can be recognised. */
const MARKER = '[load-bench]';
const KEY_NAME = 'load-bench';
/** The application names of the two servers' pools (bench/server.ts, bare-handler.ts). */
const SERVER_APPLICATIONS = ['corroborate-bench', 'corroborate-bench-replay'];

const TARGETS = {
  getByIdRps: 2_000,
  getByIdP99: 50,
  claimRps: 500,
  ratio: 0.6,
};

interface BenchRequest {
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** Which server a request is for: POST claim writes into a different set of incidents for each. */
type Side = 'app' | 'bare';

interface Scenario {
  name: string;
  /** The bare handler's route for it. */
  key: string;
  method: 'GET' | 'POST';
  /** Request number i, as the app takes it. */
  request(i: number, side: Side): BenchRequest;
  /** The values of request i that its SQL carries; the bare handler substitutes them in the recorded plan. */
  inputs(i: number, side: Side): string[];
  verdict(app: Measured, ratio: number): string;
}

interface Measured {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  ok: number;
  failed: number;
  firstFailure?: string;
}

const mark = (ok: boolean) => (ok ? 'pass' : 'FAIL');
/** App req/s ÷ bare req/s; NaN when either answered nothing successfully. */
const ratioOf = (app: Measured, bare: Measured) => (app.ok && bare.ok ? app.rps / bare.rps : Number.NaN);
const times = (ratio: number) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '–');
const ratioVerdict = (ratio: number) => `ratio ≥ ${TARGETS.ratio} ${mark(ratio >= TARGETS.ratio)}`;

async function pickParameters(db: pg.Client) {
  const rows = async <T>(text: string, values: unknown[] = []) => (await db.query(text, values)).rows as T[];
  const one = async <T>(text: string, values: unknown[] = []) => (await rows<T>(text, values))[0]!;
  // Live incidents spread over the whole table, the same for the same data on every run. The sample's size
  // follows the table's: a share of its pages expected to hold four times the ids wanted (a fixed share gave
  // too few ids on a smaller dataset), of which the ids wanted are taken in an order that is not the table's.
  const { total } = await one<{ total: number }>(`SELECT count(*)::float8 AS total FROM incidents`);
  const spread = async (wanted: number, seed: number) =>
    (
      await rows<{ id: string }>(
        `SELECT id FROM incidents TABLESAMPLE SYSTEM ($1) REPEATABLE ($2) WHERE deleted_at IS NULL
         ORDER BY md5(id::text) LIMIT $3`,
        [Math.min(100, (400 * wanted) / Math.max(total, 1)), seed, wanted],
      )
    ).map((r) => r.id);
  // The same ids for both servers, so both read the same pages.
  const readIds = await spread(5000, 11);
  const writeIds = await spread(2 * CLAIM_INCIDENTS, 13);
  if (writeIds.length < 2 * CLAIM_INCIDENTS) {
    throw new Error(
      `not enough incidents for --claim-incidents ${CLAIM_INCIDENTS}: found ${writeIds.length}`,
    );
  }
  const { country } = await one<{ country: string }>(
    `SELECT country FROM incidents WHERE country IS NOT NULL GROUP BY country ORDER BY count(*) DESC LIMIT 1`,
  );
  const deepRows = 100_000;
  const deep = await one<{ d: string; id: string }>(
    `SELECT occurred_from::text AS d, id FROM incidents WHERE deleted_at IS NULL
     ORDER BY occurred_from DESC, id DESC OFFSET $1 LIMIT 1`,
    [deepRows],
  );
  if (!deep) throw new Error(`the deep page needs more than ${deepRows.toLocaleString('en')} live incidents`);
  // A word in about 0.5 % of incidents, by document frequency in a 1 % sample.
  const { word } = await one<{ word: string }>(
    `SELECT word FROM ts_stat('SELECT search_vector FROM incidents TABLESAMPLE SYSTEM (1) REPEATABLE (7)')
     WHERE length(word) >= 5 AND word ~ '^[a-z]+$'
     ORDER BY abs(ln(ndoc::float8 / (SELECT count(*) FROM incidents TABLESAMPLE SYSTEM (1) REPEATABLE (7))
                     / 0.005))
     LIMIT 1`,
  );
  const { id: sourceId } = await one<{ id: string }>(
    `SELECT id FROM sources WHERE deleted_at IS NULL AND NOT protected ORDER BY id LIMIT 1`,
  );
  return {
    readIds,
    appWriteIds: writeIds.slice(0, CLAIM_INCIDENTS),
    bareWriteIds: writeIds.slice(CLAIM_INCIDENTS),
    country,
    deepRows,
    deepCursor: encodeCursor({ sort: '-occurred_from', after: [deep.d, deep.id] }),
    word,
    sourceId,
  };
}

type Parameters = Awaited<ReturnType<typeof pickParameters>>;

function scenarios(p: Parameters, secret: string, runId: string): Scenario[] {
  const nth = <T>(list: T[], i: number) => list[i % list.length]!;
  const fixed = (name: string, key: string, path: string): Scenario => ({
    name,
    key,
    method: 'GET',
    request: () => ({ path }),
    inputs: () => [],
    verdict: (_app, ratio) => ratioVerdict(ratio),
  });
  const writeIds = (side: Side) => (side === 'app' ? p.appWriteIds : p.bareWriteIds);
  const list: Scenario[] = [
    {
      name: 'GET /v1/incidents/{id}',
      key: 'get-by-id',
      method: 'GET',
      request: (i) => ({ path: `/v1/incidents/${nth(p.readIds, i)}` }),
      inputs: (i) => [nth(p.readIds, i)],
      verdict: (app, ratio) =>
        [
          `req/s ≥ ${TARGETS.getByIdRps.toLocaleString('en')} ${mark(app.rps >= TARGETS.getByIdRps)}`,
          `p99 < ${TARGETS.getByIdP99} ms ${mark(app.p99 < TARGETS.getByIdP99)}`,
          ratioVerdict(ratio),
        ].join(', '),
    },
    fixed(
      `list country=${p.country}, 2024`,
      'filtered-list',
      `/v1/incidents?country=${p.country}&from=2024-01-01&to=2024-12-31`,
    ),
    fixed(
      `list, ${p.deepRows.toLocaleString('en')} rows deep`,
      'deep-page',
      `/v1/incidents?cursor=${p.deepCursor}`,
    ),
    fixed(`list q=${p.word}`, 'q', `/v1/incidents?q=${p.word}`),
    fixed(
      `stats group_by=category, ${p.country} 2024`,
      'stats',
      `/v1/stats/incidents?group_by=category&country=${p.country}&from=2024-01-01&to=2024-12-31`,
    ),
    {
      name: 'POST /v1/claims',
      key: 'post-claim',
      method: 'POST',
      request: (i, side) => ({
        path: '/v1/claims',
        body: JSON.stringify({
          incident_id: nth(writeIds(side), i),
          source_id: p.sourceId,
          stance: 'supports',
          statement: `${MARKER} At least 12 people were killed when the market was shelled.`,
          language: 'en',
          published_at: '2025-03-07T12:00:00Z',
          killed: 12,
          figures_are_minimum: true,
        }),
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${secret}`,
          'idempotency-key': `${KEY_NAME}-${runId}-${side}-${i}`,
        },
      }),
      inputs: (i, side) => [nth(writeIds(side), i), `${KEY_NAME}-${runId}-${side}-${i}`],
      verdict: (app, ratio) =>
        [
          `req/s ≥ ${TARGETS.claimRps.toLocaleString('en')} ${mark(app.rps >= TARGETS.claimRps)}`,
          ratioVerdict(ratio),
        ].join(', '),
    },
  ];
  return ONLY ? list.filter((s) => ONLY.test(s.name) || ONLY.test(s.key)) : list;
}

/**
 * Records each scenario's SQL on an in-process app: one request to warm it, then the recorded one. Returns the
 * plans and how long the recorded request took, by scenario key.
 */
async function recordPlans(
  list: Scenario[],
): Promise<{ plans: Record<string, ReplayPlan>; took: Record<string, number> }> {
  const database = openPostgres({
    url: databaseUrl(),
    poolMax: 4,
    applicationName: 'corroborate-bench-capture',
  });
  const app = await buildApp({ config: benchConfig(), database, logger: false });
  const plans: Record<string, ReplayPlan> = {};
  const took: Record<string, number> = {};
  try {
    await app.ready();
    for (const s of list) {
      const inject = (i: number) => {
        const r = s.request(i, 'app');
        return app.inject({
          method: s.method,
          url: r.path,
          ...(r.headers ? { headers: r.headers } : {}),
          ...(r.body ? { payload: r.body } : {}),
        });
      };
      await inject(0);
      const started = performance.now();
      const { result, statements } = await record(() => inject(1));
      took[s.key] = performance.now() - started;
      if (result.statusCode >= 300) {
        throw new Error(`${s.name}: the app answered ${result.statusCode}: ${result.body.slice(0, 500)}`);
      }
      plans[s.key] = planOf(statements, s.inputs(1, 'app'));
      const plan = plans[s.key]!;
      console.log(
        `  ${s.name.padEnd(40)} ${ms(took[s.key]!).padStart(6)} ms, ${plan.statements.length} statements in ${plan.batches.length} round trips` +
          (plan.links.length ? `, ${plan.links.length} generated value(s) carried forward` : ''),
      );
    }
  } finally {
    await app.close();
    await database.close();
  }
  return { plans, took };
}

/** Waits until neither server has a statement running, so that one run's leftovers do not load the next. */
async function settle(db: pg.Client) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = ANY($1) AND state <> 'idle'`,
      [SERVER_APPLICATIONS],
    );
    if (rows[0]!.n === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  console.warn('  (the servers were still busy after 120 s)');
}

/** What one autocannon run saw: every answer's latency, and how many succeeded. */
interface Run {
  latencies: number[];
  ok: number;
  failed: number;
  seconds: number;
  firstFailure?: string;
}

async function run(
  base: string,
  method: 'GET' | 'POST',
  next: () => BenchRequest,
  length: { seconds: number } | { requestsPerConnection: number },
): Promise<Run> {
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: base,
        method,
        connections: CONNECTIONS,
        ...('seconds' in length
          ? { duration: length.seconds }
          : { amount: length.requestsPerConnection * CONNECTIONS }),
        timeout: 60,
        requests: [{ setupRequest: (req) => ({ ...req, ...next() }) }],
      },
      (err: unknown, res: autocannon.Result) => (err ? reject(err as Error) : resolve(res)),
    );
    instance.on('response', (_client, status, _bytes, time) => {
      latencies.push(time);
      if (status >= 200 && status < 300) ok++;
      else failed++;
    });
  });
  return {
    latencies,
    ok,
    failed: failed + result.errors,
    // A timed run stops at its deadline, abandoning what is still running.
    seconds: Math.min((performance.now() - started) / 1000, 'seconds' in length ? length.seconds : Infinity),
    ...(result.errors
      ? { firstFailure: `${result.errors} connection errors (${result.timeouts} timeouts)` }
      : {}),
  };
}

function summarise(runs: Run[], firstFailure?: string): Measured {
  const sorted = Float64Array.from(runs.flatMap((r) => r.latencies)).sort();
  const ok = runs.reduce((sum, r) => sum + r.ok, 0);
  const failure = firstFailure ?? runs.find((r) => r.firstFailure)?.firstFailure;
  return {
    rps: ok / runs.reduce((sum, r) => sum + r.seconds, 0),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    ok,
    failed: runs.reduce((sum, r) => sum + r.failed, 0),
    ...(failure ? { firstFailure: failure } : {}),
  };
}

/** One request outside the load, to name the first failure (autocannon counts status codes only). */
async function probe(base: string, method: string, r: BenchRequest): Promise<string | undefined> {
  const res = await fetch(base + r.path, {
    method,
    ...(r.headers ? { headers: r.headers } : {}),
    ...(r.body ? { body: r.body } : {}),
  });
  const text = await res.text();
  return res.ok ? undefined : `${res.status} ${text.slice(0, 300)}`;
}

const round = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

function markdownTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 || i === widths.length - 1 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

/** Whatever was written under the benchmark's keys: claims, journal rows, idempotency keys, and the keys. */
async function removeWrites(
  db: pg.Client,
  keyIds: string[],
  incidentIds: string[],
  snapshot: Record<string, unknown>[] = [],
) {
  if (keyIds.length === 0) return;
  await db.query('BEGIN');
  try {
    const byIncident = await db.query(
      `DELETE FROM claims WHERE incident_id = ANY($1::uuid[]) AND statement LIKE $2`,
      [incidentIds, `${MARKER}%`],
    );
    // Claims of a run that stopped before its cleanup: found through their journal rows.
    const byJournal = await db.query(
      `DELETE FROM claims WHERE statement LIKE $2 AND id IN (
         SELECT resource_id FROM changes WHERE actor = ANY($1::text[]) AND resource_type = 'claim')`,
      [keyIds, `${MARKER}%`],
    );
    const journal = await db.query(`DELETE FROM changes WHERE actor = ANY($1::text[])`, [keyIds]);
    const idempotency = await db.query(`DELETE FROM idempotency_keys WHERE actor = ANY($1::text[])`, [
      keyIds,
    ]);
    const restored = await db.query(
      `UPDATE incidents i
       SET status = s.status, casualties = s.casualties, killed_best = s.killed_best, version = s.version,
           updated_at = s.updated_at
       FROM jsonb_to_recordset($1::jsonb) AS s(id uuid, status text, casualties jsonb, killed_best integer,
                                                version integer, updated_at timestamptz)
       WHERE i.id = s.id AND i.version <> s.version`,
      [JSON.stringify(snapshot)],
    );
    await db.query(`DELETE FROM api_keys WHERE id = ANY($1::uuid[])`, [keyIds]);
    await db.query('COMMIT');
    console.log(
      `removed ${(byIncident.rowCount ?? 0) + (byJournal.rowCount ?? 0)} claims, ${journal.rowCount} journal rows, ` +
        `${idempotency.rowCount} idempotency keys; restored ${restored.rowCount} incidents`,
    );
  } catch (err) {
    await db.query('ROLLBACK');
    throw err;
  }
}

async function main() {
  const db = new pg.Client({ connectionString: databaseUrl(), application_name: 'corroborate-bench-load' });
  await db.connect();
  const leftover = (await db.query<{ id: string }>(`SELECT id FROM api_keys WHERE name = $1`, [KEY_NAME]))
    .rows;
  if (leftover.length) {
    console.log('a previous run did not clean up:');
    await removeWrites(
      db,
      leftover.map((k) => k.id),
      [],
    );
  }
  const pgVersion = (await db.query('SHOW server_version')).rows[0].server_version as string;
  const counts = (
    await db.query<Record<string, string>>(
      `SELECT pg_size_pretty(pg_database_size(current_database())) AS size,
              (SELECT count(*) FROM incidents) AS incidents, (SELECT count(*) FROM claims) AS claims,
              (SELECT count(*) FROM sources) AS sources`,
    )
  ).rows[0]!;
  const n = (v: string | undefined) => Number(v).toLocaleString('en');
  console.log('picking parameters from the data…');
  const p = await pickParameters(db);
  console.log(
    machineFacts({
      postgres: pgVersion,
      database: `${BENCH_DB}, ${counts.size}: ${n(counts.incidents)} incidents, ${n(counts.claims)} claims, ${n(counts.sources)} sources`,
      method: `autocannon, ${CONNECTIONS} connections; per scenario a ${WARMUP} s warm-up of each server, then ${DURATION} s each (${2 * SLOW_REQUESTS} requests per connection when one request takes over ${SLOW_MS} ms) in halves: app, bare, bare, app`,
    }),
  );

  // A throwaway contributor key for the writes; the reads are anonymous, as a public client's are.
  const keyDatabase = openPostgres({ url: databaseUrl(), poolMax: 1 });
  const key = await createServices(keyDatabase.db).apiKeys.create(
    { name: KEY_NAME, role: 'contributor' },
    { context: { actor: KEY_NAME } },
  );
  await keyDatabase.close();
  const writeIds = [...p.appWriteIds, ...p.bareWriteIds];
  const snapshot = (
    await db.query(
      `SELECT id, status, casualties, killed_best, version, updated_at FROM incidents WHERE id = ANY($1::uuid[])`,
      [writeIds],
    )
  ).rows as Record<string, unknown>[];
  let cleaned = false;
  const cleanUp = async () => {
    if (cleaned) return;
    cleaned = true;
    await removeWrites(db, [key.id], writeIds, snapshot);
  };
  process.once('SIGINT', () => {
    console.log('\ninterrupted: cleaning up');
    cleanUp().finally(() => process.exit(130));
  });

  const runId = Date.now().toString(36);
  const list = scenarios(p, key.secret, runId);
  const servers: ServerChild[] = [];
  const results: { scenario: Scenario; app: Measured; bare: Measured }[] = [];
  try {
    console.log('\nrecording the SQL of one request per scenario:');
    const { plans, took } = await recordPlans(list);
    const app = await startServer();
    servers.push(app);
    const bare = await startServer({}, 'bare-handler.ts');
    servers.push(bare);
    await new Promise<void>((resolve) => {
      bare.child.once('message', () => resolve());
      bare.child.send({ plans });
    });
    console.log(`\napp pid ${app.pid} on ${app.base}, bare handler pid ${bare.pid} on ${bare.base}`);

    for (const s of list) {
      const sides: Record<Side, { server: ServerChild; request: (i: number) => BenchRequest }> = {
        app: { server: app, request: (i) => s.request(i, 'app') },
        bare: {
          server: bare,
          request: (i) => {
            const r = s.request(i, 'bare');
            const query = s
              .inputs(i, 'bare')
              .map((v, k) => `in${k}=${encodeURIComponent(v)}`)
              .join('&');
            return { ...r, path: `/replay/${s.key}${query ? `?${query}` : ''}` };
          },
        },
      };
      // Request numbers go on across probe, warm-up and runs, so that no Idempotency-Key repeats.
      const counters: Record<Side, number> = { app: 2, bare: 2 };
      const next = (side: Side) => () => sides[side].request(counters[side]++);
      const half =
        took[s.key]! > SLOW_MS ? { requestsPerConnection: SLOW_REQUESTS } : { seconds: DURATION / 2 };
      const failures: Partial<Record<Side, string>> = {};
      const runs: Record<Side, Run[]> = { app: [], bare: [] };
      for (const side of ['app', 'bare'] as const) {
        failures[side] = await probe(sides[side].server.base, s.method, next(side)());
        await run(sides[side].server.base, s.method, next(side), { seconds: WARMUP });
        await settle(db);
      }
      // Two halves each, in the order app, bare, bare, app: a load that drifts during the scenario (the machine
      // is shared) weighs on both servers alike.
      for (const side of ['app', 'bare', 'bare', 'app'] as const) {
        runs[side].push(await run(sides[side].server.base, s.method, next(side), half));
        await settle(db);
      }
      const measured = [summarise(runs.app, failures.app), summarise(runs.bare, failures.bare)];
      const [a, b] = measured as [Measured, Measured];
      results.push({ scenario: s, app: a, bare: b });
      console.log(
        `  ${s.name.padEnd(40)} app ${round(a.rps).padStart(6)} req/s p99 ${ms(a.p99).padStart(6)} ms | ` +
          `bare ${round(b.rps).padStart(6)} req/s p99 ${ms(b.p99).padStart(6)} ms | ${times(ratioOf(a, b))} ` +
          `(${a.ok} and ${b.ok} answers)` +
          (a.failed || b.failed
            ? `  FAILURES app ${a.failed} (${a.firstFailure ?? ''}), bare ${b.failed} (${b.firstFailure ?? ''})`
            : ''),
      );
    }
  } finally {
    for (const s of servers) await s.stop();
    await cleanUp();
  }

  console.log(
    `\nResults (${new Date().toISOString()}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; latencies in ms, over ${CONNECTIONS} connections)\n`,
  );
  console.log(
    markdownTable(
      ['scenario', 'app req/s', 'p50', 'p95', 'p99', 'bare req/s', 'bare p99', 'ratio', 'target verdict'],
      results.map(({ scenario, app, bare }) => {
        const ratio = ratioOf(app, bare);
        const failures = app.failed + bare.failed;
        return [
          scenario.name,
          round(app.rps),
          ms(app.p50),
          ms(app.p95),
          ms(app.p99),
          round(bare.rps),
          ms(bare.p99),
          times(ratio),
          (Number.isFinite(ratio) ? scenario.verdict(app, ratio) : 'no successful answers') +
            (failures ? ` (${app.failed} app / ${bare.failed} bare requests failed)` : ''),
        ];
      }),
    ),
  );

  const profiles = process.env.BENCH_CPU_PROF;
  if (profiles) {
    const files = readdirSync(profiles);
    for (const s of servers) {
      // One profile per thread: thread 0 is the server; the others are the TypeScript loader's.
      const file = files.find((f) => f.includes(`.${s.pid}.0.`) && f.endsWith('.cpuprofile'));
      const label = s === servers[0] ? 'app' : 'bare handler';
      if (!file) console.log(`\nno CPU profile of the ${label} (pid ${s.pid}) in ${profiles}`);
      else
        console.log(`\nCPU profile of the ${label}: ${file}\n${summariseProfile(path.join(profiles, file))}`);
    }
  }
  await db.end();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
