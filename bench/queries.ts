/**
 * Latency of the list, search, geo, deep-page and statistics endpoints on the generated dataset.
 *
 *   npx tsx bench/queries.ts [--connections 20] [--duration 10] [--seq-duration 5] [--warmup 2]
 *                            [--stats-duration 8] [--explain 6] [--deep-rows 100000] [--only REGEX]
 *
 * Starts the real app (bench/server.ts) in a child process on 127.0.0.1, then per scenario: a warm-up, a
 * sequential pass (one connection: the latency of the request itself) and a concurrent pass (N connections:
 * req/s and latency under load). Statistics scenarios run sequentially only (each is a full aggregation).
 * Prints a table with the targets' verdicts, then EXPLAIN (ANALYZE, BUFFERS) summaries of the slowest requests.
 */
import pg from 'pg';
import { encodeCursor } from '../src/core/paging';
import { GROUPINGS } from '../src/modules/stats/stats-repository';
import { arg, BENCH_DB, databaseUrl, machineFacts, ms, numberArg, startServer, table } from './common';
import { createExplainer } from './explain';
import { load, type LoadResult } from './load';

const CONNECTIONS = Math.floor(numberArg('connections', 20));
const DURATION = numberArg('duration', 10);
const SEQ_DURATION = numberArg('seq-duration', 5);
const WARMUP = numberArg('warmup', 2);
const STATS_DURATION = numberArg('stats-duration', 8);
const EXPLAIN_COUNT = Math.floor(Number(arg('explain', '6')));
const DEEP_ROWS = Math.floor(numberArg('deep-rows', 100_000));
const ONLY = arg('only') ? new RegExp(arg('only')!) : undefined;

type Kind = 'list' | 'filtered' | 'page1' | 'deep' | 'bare' | 'stats';

interface Scenario {
  name: string;
  kind: Kind;
  path: string;
  /** For deep pages: the page-1 scenario it is compared with. */
  versus?: string;
}

interface Measured extends Scenario {
  seq: LoadResult;
  conc?: LoadResult;
}

async function pickParameters(db: pg.Client) {
  const one = async <T>(text: string, values: unknown[] = []) => (await db.query(text, values)).rows[0] as T;
  const { n: incidents } = await one<{ n: number }>('SELECT count(*)::int AS n FROM incidents');
  const { country, n: countryRows } = await one<{ country: string; n: number }>(
    `SELECT country, count(*)::int AS n FROM incidents WHERE country IS NOT NULL
     GROUP BY country ORDER BY 2 DESC LIMIT 1`,
  );
  const centre = await one<{ lat: number; lon: number }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY latitude) AS lat,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY longitude) AS lon
     FROM incidents WHERE country = $1 AND latitude IS NOT NULL`,
    [country],
  );
  const lat = Number(centre.lat.toFixed(2));
  const lon = Number(centre.lon.toFixed(2));
  // Words by document frequency in a 1 % sample: one common (~10 %), one rare (~0.5 %), one place name (~0.01 %).
  const words = (
    await db.query<{ word: string; share: number }>(
      `SELECT word, ndoc::float8 / (SELECT count(*) FROM incidents TABLESAMPLE SYSTEM (1) REPEATABLE (7)) AS share
       FROM ts_stat('SELECT search_vector FROM incidents TABLESAMPLE SYSTEM (1) REPEATABLE (7)')
       WHERE length(word) >= 5 AND word ~ '^[a-z]+$'`,
    )
  ).rows;
  const closest = (target: number) =>
    words.reduce((best, w) =>
      Math.abs(Math.log(w.share / target)) < Math.abs(Math.log(best.share / target)) ? w : best,
    );
  const common = closest(0.1);
  const rare = closest(0.005);
  const { place } = await one<{ place: string }>(
    `SELECT place FROM incidents WHERE country = $1 AND place IS NOT NULL
     GROUP BY place ORDER BY count(*) DESC OFFSET 50 LIMIT 1`,
    [country],
  );
  const counts = await one<Record<string, number>>(
    `SELECT
       (SELECT count(*) FROM incidents WHERE search_vector @@ websearch_to_tsquery('simple', $1))::int AS common,
       (SELECT count(*) FROM incidents WHERE search_vector @@ websearch_to_tsquery('simple', $2))::int AS rare,
       (SELECT count(*) FROM incidents WHERE search_vector @@ websearch_to_tsquery('simple', $3))::int AS place,
       (SELECT count(*) FROM incidents WHERE killed_best >= 100)::int AS killed100,
       (SELECT count(*) FROM incidents WHERE killed_best >= 1000)::int AS killed1000,
       (SELECT count(*) FROM incidents WHERE category = 'battle' AND status = 'corroborated')::int AS battle,
       (SELECT count(*) FROM incidents WHERE category = 'battle' AND status = 'disputed')::int AS disputed,
       (SELECT count(*) FROM incidents WHERE country = $4 AND occurred_to >= '2024-01-01'
          AND occurred_from <= '2024-12-31')::int AS country_year`,
    [common.word, rare.word, place, country],
  );
  // Deep keyset pages, built the way the API builds them: the key of the row just before the page.
  const deep = await one<{ d: string; id: string }>(
    `SELECT occurred_from::text AS d, id FROM incidents WHERE deleted_at IS NULL
     ORDER BY occurred_from DESC, id DESC OFFSET $1 LIMIT 1`,
    [Math.min(DEEP_ROWS, Math.floor(incidents * 0.8))],
  );
  const countryDeepRows = Math.min(DEEP_ROWS, Math.floor(countryRows / 2));
  const deepCountry = await one<{ d: string; id: string }>(
    `SELECT occurred_from::text AS d, id FROM incidents WHERE deleted_at IS NULL AND country = $1
     ORDER BY occurred_from DESC, id DESC OFFSET $2 LIMIT 1`,
    [country, countryDeepRows],
  );
  const deepKilledRows = Math.min(DEEP_ROWS, Math.floor(incidents * 0.8));
  const deepKilled = await one<{ k: number; id: string }>(
    `SELECT coalesce(killed_best, -1) AS k, id FROM incidents WHERE deleted_at IS NULL
     ORDER BY coalesce(killed_best, -1) DESC, id DESC OFFSET $1 LIMIT 1`,
    [deepKilledRows],
  );
  return {
    incidents,
    country,
    countryRows,
    lat,
    lon,
    common,
    rare,
    place,
    counts,
    deepRows: Math.min(DEEP_ROWS, Math.floor(incidents * 0.8)),
    countryDeepRows,
    deepKilledRows,
    deepCursor: encodeCursor({ sort: '-occurred_from', after: [deep.d, deep.id] }),
    deepCountryCursor: encodeCursor({ sort: '-occurred_from', after: [deepCountry.d, deepCountry.id] }),
    deepKilledCursor: encodeCursor({ sort: '-killed', after: [deepKilled.k, deepKilled.id] }),
  };
}

function scenarios(p: Awaited<ReturnType<typeof pickParameters>>): Scenario[] {
  const box = `${(p.lon - 0.5).toFixed(2)},${(p.lat - 0.5).toFixed(2)},${(p.lon + 0.5).toFixed(2)},${(p.lat + 0.5).toFixed(2)}`;
  const list: Scenario[] = [
    { name: 'default page (page 1)', kind: 'page1', path: '/v1/incidents' },
    {
      name: `deep page, ${p.deepRows.toLocaleString('en')} rows in`,
      kind: 'deep',
      path: `/v1/incidents?cursor=${p.deepCursor}`,
      versus: 'default page (page 1)',
    },
    {
      name: `country=${p.country} + one year`,
      kind: 'filtered',
      path: `/v1/incidents?country=${p.country}&from=2024-01-01&to=2024-12-31`,
    },
    { name: `country=${p.country} (page 1)`, kind: 'page1', path: `/v1/incidents?country=${p.country}` },
    {
      name: `country=${p.country} deep, ${p.countryDeepRows.toLocaleString('en')} in`,
      kind: 'deep',
      path: `/v1/incidents?country=${p.country}&cursor=${p.deepCountryCursor}`,
      versus: `country=${p.country} (page 1)`,
    },
    {
      name: 'category=battle&status=corroborated',
      kind: 'filtered',
      path: '/v1/incidents?category=battle&status=corroborated',
    },
    {
      name: 'category=battle&status=disputed',
      kind: 'filtered',
      path: '/v1/incidents?category=battle&status=disputed',
    },
    { name: `q=${p.common.word} (common)`, kind: 'filtered', path: `/v1/incidents?q=${p.common.word}` },
    { name: `q=${p.rare.word} (rare)`, kind: 'filtered', path: `/v1/incidents?q=${p.rare.word}` },
    {
      name: `q=${p.place.toLowerCase()} (place)`,
      kind: 'filtered',
      path: `/v1/incidents?q=${encodeURIComponent(p.place)}`,
    },
    {
      name: `q=${p.common.word}&sort=-occurred_from`,
      kind: 'filtered',
      path: `/v1/incidents?q=${p.common.word}&sort=-occurred_from`,
    },
    { name: `bbox (1°×1°)`, kind: 'filtered', path: `/v1/incidents?bbox=${box}` },
    {
      name: 'near, radius_km=50',
      kind: 'filtered',
      path: `/v1/incidents?near=${p.lat},${p.lon}&radius_km=50`,
    },
    { name: 'sort=-killed (page 1)', kind: 'page1', path: '/v1/incidents?sort=-killed' },
    {
      name: `sort=-killed deep, ${p.deepKilledRows.toLocaleString('en')} in`,
      kind: 'deep',
      path: `/v1/incidents?sort=-killed&cursor=${p.deepKilledCursor}`,
      versus: 'sort=-killed (page 1)',
    },
    { name: 'min_killed=100', kind: 'filtered', path: '/v1/incidents?min_killed=100' },
    { name: 'min_killed=1000', kind: 'filtered', path: '/v1/incidents?min_killed=1000' },
    { name: 'bare handler: default page', kind: 'bare', path: '/bench/bare/incidents' },
    {
      name: `bare handler: country=${p.country} + one year`,
      kind: 'bare',
      path: `/bench/bare/incidents?country=${p.country}&from=2024-01-01&to=2024-12-31`,
    },
  ];
  for (const g of GROUPINGS) {
    list.push({ name: `stats group_by=${g}`, kind: 'stats', path: `/v1/stats/incidents?group_by=${g}` });
    list.push({
      name: `stats group_by=${g}&country=${p.country}`,
      kind: 'stats',
      path: `/v1/stats/incidents?group_by=${g}&country=${p.country}`,
    });
  }
  return ONLY ? list.filter((s) => ONLY.test(s.name)) : list;
}

function verdict(m: Measured, all: Measured[]): string {
  const seq = m.seq.p99;
  const conc = m.conc?.p99;
  const mark = (ok: boolean) => (ok ? 'pass' : 'FAIL');
  if (m.kind === 'filtered' || m.kind === 'page1' || m.kind === 'list') {
    return `p99<100ms: ${mark(seq < 100)} seq, ${conc === undefined ? '–' : mark(conc < 100)} c${CONNECTIONS}`;
  }
  if (m.kind === 'deep') {
    const first = all.find((x) => x.name === m.versus);
    if (!first) return '–';
    const r1 = seq / first.seq.p99;
    const r2 = conc !== undefined && first.conc ? conc / first.conc.p99 : NaN;
    return `p99 ≤1.2× page 1: ${r1.toFixed(2)}× ${mark(r1 <= 1.2)} seq, ${Number.isFinite(r2) ? `${r2.toFixed(2)}× ${mark(r2 <= 1.2)}` : '–'} c${CONNECTIONS}`;
  }
  if (m.kind === 'bare') return 'ceiling (no target)';
  return 'no target';
}

async function main() {
  const db = new pg.Client({
    connectionString: databaseUrl(),
    application_name: 'corroborate-bench-queries',
  });
  await db.connect();
  const pgVersion = (await db.query('SHOW server_version')).rows[0].server_version as string;
  const dbSize = (await db.query('SELECT pg_size_pretty(pg_database_size(current_database())) AS s')).rows[0]
    .s as string;
  console.log('picking parameters from the data…');
  const p = await pickParameters(db);
  const share = (n: number) => `${n.toLocaleString('en')} (${((100 * n) / p.incidents).toFixed(2)} %)`;
  console.log(
    machineFacts({
      postgres: pgVersion,
      database: `${BENCH_DB}, ${dbSize}, ${p.incidents.toLocaleString('en')} incidents`,
      method: `sequential ${SEQ_DURATION} s and ${CONNECTIONS} connections × ${DURATION} s per scenario after ${WARMUP} s warm-up; stats sequential ${STATS_DURATION} s`,
    }),
  );
  console.log(
    [
      `matches: ${p.country} ${share(p.countryRows)}, ${p.country} in 2024 ${share(p.counts.country_year!)},`,
      `q=${p.common.word} ${share(p.counts.common!)} incidents (+ claims), q=${p.rare.word} ${share(p.counts.rare!)},`,
      `q=${p.place} ${share(p.counts.place!)}, battle+corroborated ${share(p.counts.battle!)},`,
      `battle+disputed ${share(p.counts.disputed!)}, killed≥100 ${share(p.counts.killed100!)},`,
      `killed≥1000 ${share(p.counts.killed1000!)}`,
    ].join(' '),
  );
  await db.end();

  const server = await startServer();
  const measured: Measured[] = [];
  try {
    const list = scenarios(p);
    console.log(`\n${list.length} scenarios against the app (pid ${server.pid}) on ${server.base}`);
    for (const s of list) {
      const url = server.base + s.path;
      if (s.kind === 'stats') {
        await load(url, { connections: 1, seconds: 0, minRequests: 1 });
        const seq = await load(url, { connections: 1, seconds: STATS_DURATION, minRequests: 3 });
        measured.push({ ...s, seq });
      } else {
        await load(url, { connections: CONNECTIONS, seconds: WARMUP, minRequests: 1 });
        const seq = await load(url, { connections: 1, seconds: SEQ_DURATION, minRequests: 3 });
        const conc = await load(url, {
          connections: CONNECTIONS,
          seconds: DURATION,
          minRequests: CONNECTIONS,
        });
        measured.push({ ...s, seq, conc });
      }
      const m = measured[measured.length - 1]!;
      const errors = m.seq.errors + (m.conc?.errors ?? 0);
      console.log(
        `  ${s.name.padEnd(44)} seq p50 ${ms(m.seq.p50).padStart(7)} p99 ${ms(m.seq.p99).padStart(7)} ms (${m.seq.requests})` +
          (m.conc
            ? `  c${CONNECTIONS} ${m.conc.rps.toFixed(0).padStart(5)} req/s p50 ${ms(m.conc.p50).padStart(7)} p99 ${ms(m.conc.p99).padStart(7)} ms`
            : '') +
          (errors ? `  ${errors} ERRORS: ${m.seq.firstError ?? m.conc?.firstError}` : ''),
      );
    }
  } finally {
    await server.stop();
  }

  console.log(`\nResults (${new Date().toISOString()}, ${p.incidents.toLocaleString('en')} incidents; ms)`);
  console.log(
    table(
      [
        'scenario',
        'seq req/s',
        'seq p50',
        'seq p99',
        `c${CONNECTIONS} req/s`,
        `c${CONNECTIONS} p50`,
        `c${CONNECTIONS} p99`,
        'KB/resp',
        'target verdict',
      ],
      measured.map((m) => [
        m.name,
        m.seq.rps.toFixed(1),
        ms(m.seq.p50),
        ms(m.seq.p99),
        m.conc ? m.conc.rps.toFixed(0) : '–',
        m.conc ? ms(m.conc.p50) : '–',
        m.conc ? ms(m.conc.p99) : '–',
        (m.seq.meanBytes / 1024).toFixed(1),
        verdict(m, measured) + (m.seq.errors + (m.conc?.errors ?? 0) ? ' (ERRORS)' : ''),
      ]),
    ),
  );
  const bare = measured.find((m) => m.kind === 'bare' && m.path.includes('country'));
  const same = measured.find((m) => m.name === bare?.name.replace('bare handler: ', ''));
  if (bare?.conc && same?.conc) {
    console.log(
      `\nApp vs bare handler, same filter: ${(same.conc.rps / bare.conc.rps).toFixed(2)}× the req/s, p99 ${ms(same.conc.p99)} vs ${ms(bare.conc.p99)} ms (c${CONNECTIONS}); sequential p50 ${ms(same.seq.p50)} vs ${ms(bare.seq.p50)} ms.`,
    );
  }

  if (EXPLAIN_COUNT > 0) {
    const slowest = measured
      .filter((m) => m.kind !== 'bare')
      .sort((a, b) => b.seq.p50 - a.seq.p50)
      .slice(0, EXPLAIN_COUNT);
    console.log(
      `\nEXPLAIN (ANALYZE, BUFFERS) of the ${slowest.length} slowest scenarios (by sequential p50)`,
    );
    const explainer = await createExplainer();
    try {
      for (const m of slowest) console.log(`\n${await explainer.explain(m.name, m.path)}`);
    } finally {
      await explainer.close();
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
