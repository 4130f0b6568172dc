/**
 * Streams the whole incident table through GET /v1/export/incidents as NDJSON and CSV, and prints rows/s and the
 * server's memory, beside `COPY (SELECT …) TO STDOUT` through psql as the ceiling, measured in the same run.
 *
 *   npx tsx bench/export.ts [--formats ndjson,csv] [--max-seconds 900] [--no-copy]
 *
 * Each format gets a fresh server child (bench/server.ts), so each starts from the same baseline; its RSS is read
 * from /proc/<pid>/status (VmRSS) every 100 ms. Rows are counted as lines (NDJSON) or lines minus the header (CSV;
 * the generated texts hold no line breaks).
 */
import http from 'node:http';
import pg from 'pg';
import {
  arg,
  BENCH_DB,
  databaseUrl,
  flag,
  machineFacts,
  mb,
  numberArg,
  psqlCopy,
  rssOf,
  startServer,
  table,
} from './common';

const FORMATS = arg('formats', 'ndjson,csv').split(',');
const MAX_SECONDS = numberArg('max-seconds', 900);
const TARGET_ROWS_PER_S = 150_000;
const TARGET_GROWTH = 64 * 1024 * 1024;

interface ExportResult {
  label: string;
  rows: number;
  bytes: number;
  seconds: number;
  firstByteMs: number;
  baseline: number;
  peak: number;
  complete: boolean;
  status: number;
}

const headers: Record<string, string> = process.env.BENCH_API_KEY
  ? { authorization: `Bearer ${process.env.BENCH_API_KEY}` }
  : {};

async function exportOnce(format: string): Promise<ExportResult> {
  const server = await startServer();
  try {
    // Warm the app (routes, schemas, pool) with a small request, let it settle, then take the baseline.
    await get(`${server.base}/v1/incidents?limit=10`, () => undefined);
    await new Promise((r) => setTimeout(r, 1000));
    const baseline = rssOf(server.pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssOf(server.pid));
      } catch {
        // the child has exited
      }
    }, 100);
    let newlines = 0;
    let bytes = 0;
    let firstByteMs = NaN;
    const t0 = performance.now();
    const { status, complete } = await get(
      `${server.base}/v1/export/incidents?format=${format}`,
      (chunk) => {
        if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - t0;
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
      },
      MAX_SECONDS * 1000,
    );
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, rssOf(server.pid));
    return {
      label: `API export format=${format}`,
      rows: format === 'csv' ? Math.max(0, newlines - 1) : newlines,
      bytes,
      seconds,
      firstByteMs,
      baseline,
      peak,
      complete,
      status,
    };
  } finally {
    await server.stop();
  }
}

function get(
  url: string,
  onChunk: (chunk: Buffer) => void,
  timeoutMs = 60_000,
): Promise<{ status: number; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const timer = setTimeout(() => {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, complete: false });
      }, timeoutMs);
      res.on('data', onChunk);
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, complete: res.complete });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.on('error', reject);
  });
}

/** Times psql's \copy of a query to /dev/null: the database's own serialisation, with no API in between. */
async function copyBaseline(label: string, query: string): Promise<ExportResult> {
  const { seconds, rows, peak } = await psqlCopy(BENCH_DB, `\\copy (${query}) to '/dev/null' csv header`);
  return {
    label,
    rows,
    bytes: NaN,
    seconds,
    firstByteMs: NaN,
    baseline: 0,
    peak,
    complete: true,
    status: 0,
  };
}

const FIGURES = ['killed', 'killed_civilians', 'killed_combatants', 'injured', 'detained', 'missing'];

/** The columns of the API's CSV, computed in SQL, in the export's order. */
const SAME_SHAPE = `SELECT i.id, i.ref, i.title, i.summary, i.category, i.subcategory, i.occurred_from, i.occurred_to,
  i.date_precision, i.country, i.admin1, i.admin2, i.admin3, i.place, i.latitude, i.longitude, i.geo_precision,
  i.status, ${FIGURES.flatMap((f) => ['low', 'best', 'high'].map((b) => `i.casualties->'${f}'->>'${b}'`)).join(', ')},
  (SELECT string_agg((a ->> 'name') || ' (' || (a ->> 'role') || ')', '; ' ORDER BY n)
     FROM json_array_elements(i.actors) WITH ORDINALITY AS x(a, n)),
  (SELECT string_agg(t, '; ' ORDER BY n) FROM json_array_elements_text(i.tags) WITH ORDINALITY AS x(t, n)),
  i.parent_id, i.duplicate_of,
  (SELECT string_agg((e ->> 'system') || ':' || (e ->> 'id'), '; ' ORDER BY n)
     FROM json_array_elements(i.external_ids) WITH ORDINALITY AS x(e, n)),
  i.verification_status, i.created_at, i.updated_at, i.version, i.deleted_at
FROM incidents i WHERE i.deleted_at IS NULL ORDER BY i.occurred_from DESC, i.id DESC`;

const PLAIN = `SELECT id, ref, title, summary, category, subcategory, occurred_from, occurred_to, date_precision, country,
  admin1, admin2, admin3, place, latitude, longitude, geo_precision, actors, tags, external_ids, parent_id,
  duplicate_of, status, casualties, killed_best, verification_status, verification_rationale, verified_by,
  verified_at, created_at, updated_at, version, deleted_at FROM incidents`;

async function main() {
  const db = new pg.Client({ connectionString: databaseUrl() });
  await db.connect();
  const info = (
    await db.query(`SELECT current_setting('server_version') AS v,
      pg_size_pretty(pg_database_size(current_database())) AS size,
      (SELECT count(*) FROM incidents)::int AS n, (SELECT count(*) FROM incidents WHERE deleted_at IS NULL)::int AS live`)
  ).rows[0] as { v: string; size: string; n: number; live: number };
  await db.end();
  console.log(
    machineFacts({
      postgres: info.v,
      database: `${BENCH_DB}, ${info.size}, ${info.n.toLocaleString('en')} incidents (${info.live.toLocaleString('en')} live)`,
    }),
  );

  const results: ExportResult[] = [];
  for (const format of FORMATS) {
    console.log(`exporting format=${format} over HTTP…`);
    const r = await exportOnce(format);
    console.log(
      `  ${r.rows.toLocaleString('en')} rows in ${r.seconds.toFixed(1)} s${r.complete ? '' : ' (STOPPED at --max-seconds)'}, status ${r.status}`,
    );
    results.push(r);
  }
  if (!flag('no-copy')) {
    console.log('psql \\copy baselines…');
    results.push(await copyBaseline('psql \\copy, table columns', PLAIN));
    results.push(await copyBaseline('psql \\copy, same CSV shape + order', SAME_SHAPE));
  }

  const copy =
    results.find((r) => r.label.includes('same CSV shape')) ??
    results.find((r) => r.label.startsWith('psql'));
  console.log(`\nExport results (${new Date().toISOString()})`);
  console.log(
    table(
      [
        'run',
        'rows',
        'seconds',
        'rows/s',
        'MB/s',
        'first byte',
        'baseline RSS',
        'peak RSS',
        'growth',
        'vs copy',
        'verdict',
      ],
      results.map((r) => {
        const rate = r.rows / r.seconds;
        const growth = r.peak - r.baseline;
        const api = r.label.startsWith('API');
        return [
          r.label,
          r.rows.toLocaleString('en'),
          r.seconds.toFixed(1),
          Math.round(rate).toLocaleString('en'),
          Number.isFinite(r.bytes) ? (r.bytes / 1024 / 1024 / r.seconds).toFixed(1) : '–',
          Number.isFinite(r.firstByteMs) ? `${r.firstByteMs.toFixed(0)} ms` : '–',
          api ? mb(r.baseline) : '–',
          mb(r.peak),
          api ? mb(growth) : '–',
          copy ? `${(rate / (copy.rows / copy.seconds)).toFixed(2)}×` : '–',
          api
            ? `${rate >= TARGET_ROWS_PER_S ? 'pass' : 'FAIL'} ≥150k rows/s, ${growth < TARGET_GROWTH ? 'pass' : 'FAIL'} growth <64 MB${r.complete ? '' : ' (incomplete)'}`
            : 'ceiling (psql RSS)',
        ];
      }),
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
