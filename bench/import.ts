/**
 * Imports a generated ACLED-format CSV through POST /v1/imports into a scratch database of its own, and prints
 * rows/s beside `psql \copy` of the same file into a plain table with the same columns, on the same machine.
 *
 *   npx tsx bench/import.ts [--rows 1000000] [--keep] [--no-copy]
 *
 * The file (deterministic: the same --rows gives the same bytes) is written to the system's temporary folder.
 * The database, BENCH_IMPORT_DB (default corroborate_import_bench), is dropped and created afresh, migrated,
 * imported into, and dropped at the end, with the file, unless --keep. It also times the database alone writing the
 * same rows into copies of the same tables (see databaseFloor): the floor under any import keeping these indexes.
 * The app runs in a child process (bench/server.ts); its RSS is sampled from /proc. BENCH_CPU_PROF=<dir> writes a
 * V8 CPU profile of the server.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { openPostgres, queryRows } from '../src/db/client';
import { createServices } from '../src/services';
import {
  databaseUrl,
  flag,
  machineFacts,
  mb,
  numberArg,
  maintenanceQuery,
  psqlCopy,
  rssOf,
  startServer,
  table,
} from './common';

const ROWS = Math.floor(numberArg('rows', 1_000_000));
const DB = process.env.BENCH_IMPORT_DB ?? 'corroborate_import_bench';
const TARGET_ROWS_PER_S = 100_000;
const TARGET_VS_COPY = 2;

const COLUMNS: [string, string][] = [
  ['event_id_cnty', 'text'],
  ['event_date', 'date'],
  ['year', 'integer'],
  ['time_precision', 'integer'],
  ['disorder_type', 'text'],
  ['event_type', 'text'],
  ['sub_event_type', 'text'],
  ['actor1', 'text'],
  ['assoc_actor_1', 'text'],
  ['inter1', 'text'],
  ['actor2', 'text'],
  ['assoc_actor_2', 'text'],
  ['inter2', 'text'],
  ['interaction', 'text'],
  ['civilian_targeting', 'text'],
  ['iso', 'integer'],
  ['region', 'text'],
  ['country', 'text'],
  ['admin1', 'text'],
  ['admin2', 'text'],
  ['admin3', 'text'],
  ['location', 'text'],
  ['latitude', 'double precision'],
  ['longitude', 'double precision'],
  ['geo_precision', 'integer'],
  ['source', 'text'],
  ['source_scale', 'text'],
  ['notes', 'text'],
  ['fatalities', 'integer'],
  ['tags', 'text'],
  ['timestamp', 'bigint'],
];

/** Countries with their ISO numeric code, name, region and rough centre; earlier ones get more events. */
const COUNTRIES: [number, string, string, number, number][] = [
  [760, 'Syria', 'Middle East', 35.0, 38.5],
  [804, 'Ukraine', 'Europe', 49.0, 31.5],
  [887, 'Yemen', 'Middle East', 15.5, 47.5],
  [4, 'Afghanistan', 'Caspian', 33.9, 67.7],
  [368, 'Iraq', 'Middle East', 33.2, 43.7],
  [706, 'Somalia', 'Eastern Africa', 5.2, 46.2],
  [566, 'Nigeria', 'Western Africa', 9.1, 8.7],
  [466, 'Mali', 'Western Africa', 17.6, -4.0],
  [729, 'Sudan', 'Northern Africa', 15.5, 30.2],
  [180, 'Democratic Republic of Congo', 'Middle Africa', -2.9, 23.7],
  [104, 'Myanmar', 'Southeast Asia', 21.9, 95.9],
  [231, 'Ethiopia', 'Eastern Africa', 9.1, 40.5],
  [854, 'Burkina Faso', 'Western Africa', 12.2, -1.6],
  [484, 'Mexico', 'Central America', 23.6, -102.5],
  [170, 'Colombia', 'South America', 4.6, -74.3],
  [275, 'Palestine', 'Middle East', 31.9, 35.2],
];

const EVENTS: [string, string, string[]][] = [
  [
    'Political violence',
    'Battles',
    ['Armed clash', 'Government regains territory', 'Non-state actor overtakes territory'],
  ],
  [
    'Political violence',
    'Explosions/Remote violence',
    ['Shelling/artillery/missile attack', 'Air/drone strike', 'Remote explosive/landmine/IED', 'Grenade'],
  ],
  [
    'Political violence',
    'Violence against civilians',
    ['Attack', 'Abduction/forced disappearance', 'Sexual violence'],
  ],
  ['Demonstrations', 'Protests', ['Peaceful protest', 'Protest with intervention']],
  ['Demonstrations', 'Riots', ['Mob violence', 'Violent demonstration']],
  [
    'Strategic developments',
    'Strategic developments',
    ['Arrests', 'Agreement', 'Looting/property destruction'],
  ],
];

const WORDS =
  'forces clashed with gunmen near the village after an attack on a checkpoint residents reported shelling of homes and a market while local sources said several people were killed and others wounded during the night'.split(
    ' ',
  );

/** A small deterministic generator (mulberry32), so that the same --rows writes the same file. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

function acledRow(n: number, next: () => number): string {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  // Skewed towards the first countries, as real data is.
  const [iso, country, region, lat, lon] = COUNTRIES[Math.floor(next() ** 2 * COUNTRIES.length)]!;
  const [disorder, eventType, subTypes] = pick(EVENTS);
  const subType = pick(subTypes);
  const day = new Date(Date.UTC(2015, 0, 1) + Math.floor(next() * 3650) * 86_400_000);
  const date = day.toISOString().slice(0, 10);
  const admin1 = `${country} Province ${1 + Math.floor(next() * 12)}`;
  const location = `Town ${Math.floor(next() * 5000)}`;
  const located = next() < 0.97;
  const sources = Array.from(
    { length: 1 + Math.floor(next() * next() * 3) },
    () => `Source ${Math.floor(next() ** 2 * 3000)}`,
  );
  const fatalities = next() < 0.5 ? 0 : Math.floor(1 / (1 - next() * 0.98));
  const notes = `On ${date}, ${Array.from({ length: 12 + Math.floor(next() * 20) }, () => pick(WORDS)).join(' ')} in ${location}.`;
  const civilians = eventType === 'Violence against civilians';
  const cells = [
    `${country.slice(0, 3).toUpperCase()}${n}`,
    date,
    date.slice(0, 4),
    String(next() < 0.9 ? 1 : next() < 0.5 ? 2 : 3),
    disorder,
    eventType,
    subType,
    `Military Forces of ${country}`,
    next() < 0.2 ? `Militia ${Math.floor(next() * 200)}; Police Forces of ${country}` : '',
    'State forces',
    civilians ? `Civilians (${country})` : `Armed Group ${Math.floor(next() * 500)}`,
    '',
    civilians ? 'Civilians' : 'Rebel group',
    civilians ? 'State forces-Civilians' : 'State forces-Rebel group',
    civilians ? 'Civilian targeting' : '',
    String(iso),
    region,
    country,
    admin1,
    `${admin1} District ${1 + Math.floor(next() * 8)}`,
    '',
    location,
    located ? (lat + (next() - 0.5) * 4).toFixed(4) : '',
    located ? (lon + (next() - 0.5) * 4).toFixed(4) : '',
    String(1 + Math.floor(next() * next() * 3)),
    sources.join('; '),
    'National',
    notes,
    String(fatalities),
    next() < 0.1 ? 'crowd size=no report' : '',
    String(Math.floor(day.getTime() / 1000) + 86_400 * 7),
  ];
  return cells.map(csvField).join(',');
}

async function writeFile(file: string, rows: number) {
  const out = createWriteStream(file);
  const next = random(20_250_307);
  out.write(`${COLUMNS.map(([c]) => c).join(',')}\n`);
  for (let start = 1; start <= rows; start += 10_000) {
    const lines: string[] = [];
    for (let n = start; n < Math.min(start + 10_000, rows + 1); n++) lines.push(acledRow(n, next));
    if (!out.write(`${lines.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

/** Streams the file to the API and reads the NDJSON report as it comes; returns the summary line and the time. */
function postFile(base: string, key: string, file: string, pid: number) {
  return new Promise<{ seconds: number; summary: Record<string, unknown>; lines: number; peakRss: number }>(
    (resolve, reject) => {
      let peakRss = rssOf(pid);
      const sampler = setInterval(() => {
        try {
          peakRss = Math.max(peakRss, rssOf(pid));
        } catch {
          // the child has exited
        }
      }, 200);
      const t0 = performance.now();
      const req = http.request(`${base}/v1/imports?format=acled_csv`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'text/csv',
          accept: 'application/x-ndjson',
          'content-length': statSync(file).size,
        },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let lines = 0;
        let last = '';
        let rest = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          rest += chunk;
          const parts = rest.split('\n');
          rest = parts.pop()!;
          lines += parts.length;
          if (parts.length) last = parts.at(-1)!;
          if (lines % 100_000 < parts.length)
            process.stdout.write(`  ${lines.toLocaleString('en')} rows reported\r`);
        });
        res.on('end', () => {
          clearInterval(sampler);
          if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}: ${last}${rest}`));
          resolve({
            seconds: (performance.now() - t0) / 1000,
            summary: JSON.parse(last),
            lines: lines - 1,
            peakRss,
          });
        });
      });
      createReadStream(file).pipe(req);
    },
  );
}

/** The tables an import writes, in the order it writes them. */
const WRITTEN = [
  'sources',
  'incidents',
  'incident_actors',
  'incident_tags',
  'incident_external_ids',
  'claims',
  'changes',
];

/**
 * What the database alone takes to store what the import stored: every row the import wrote, inserted with
 * INSERT … SELECT into empty copies of its tables that have the same indexes, checks and generated columns (not
 * the foreign keys), in one transaction. No parsing, validation, derivation or round trips: the floor under any
 * import that keeps these indexes and the full history. Returns seconds; the copies are dropped.
 */
async function databaseFloor(client: pg.Client): Promise<number> {
  for (const t of WRITTEN) await client.query(`CREATE TABLE floor_${t} (LIKE ${t} INCLUDING ALL)`);
  const columns = new Map<string, string>();
  for (const t of WRITTEN) {
    const { rows } = await client.query<{ list: string }>(
      `SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS list
       FROM information_schema.columns WHERE table_name = $1 AND table_schema = 'public' AND is_generated = 'NEVER'`,
      [t],
    );
    columns.set(t, rows[0]!.list);
  }
  await client.query('CHECKPOINT');
  const t0 = performance.now();
  await client.query('BEGIN');
  const each: string[] = [];
  for (const t of WRITTEN) {
    const t1 = performance.now();
    const { rowCount } = await client.query(
      `INSERT INTO floor_${t} (${columns.get(t)}) SELECT ${columns.get(t)} FROM ${t}`,
    );
    each.push(
      `${t} ${rowCount?.toLocaleString('en')} rows ${((performance.now() - t1) / 1000).toFixed(2)} s`,
    );
  }
  await client.query('COMMIT');
  const seconds = (performance.now() - t0) / 1000;
  console.log(`  the same rows written by PostgreSQL alone, ${seconds.toFixed(1)} s: ${each.join(', ')}`);
  for (const t of WRITTEN) await client.query(`DROP TABLE floor_${t}`);
  return seconds;
}

async function main() {
  const file = path.join(os.tmpdir(), `corroborate-import-bench-acled-${ROWS}.csv`);
  const t0 = performance.now();
  await writeFile(file, ROWS);
  console.log(
    `wrote ${file}: ${ROWS.toLocaleString('en')} rows, ${mb(statSync(file).size)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  await maintenanceQuery(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await maintenanceQuery(`CREATE DATABASE ${DB}`);
  const url = databaseUrl(DB);
  const database = openPostgres({ url, poolMax: 2 });
  await database.migrate();
  // A verifier's import: the claims are accepted, as a reviewed dataset's are.
  const key = await createServices(database.db).apiKeys.create({ name: 'import bench', role: 'verifier' });
  const [version] = await queryRows<{ server_version: string }>(database.db, sql`SHOW server_version`);
  await database.close();
  console.log(machineFacts({ postgres: version!.server_version, database: DB }));

  const server = await startServer({ BENCH_DATABASE_URL: url, BENCH_APP_MAX_EVENT_LOOP_DELAY_MS: '0' });
  // A server that dies mid-import is reported by the failed request, not by a second error on its way out.
  server.child.on('exit', (code, signal) => {
    if (code !== 0) console.error(`\nthe server exited (code ${code}, signal ${signal})`);
  });
  server.child.on('error', () => undefined);
  let api: Awaited<ReturnType<typeof postFile>>;
  try {
    const baseline = rssOf(server.pid);
    console.log('importing through the API…');
    api = await postFile(server.base, key.secret, file, server.pid);
    console.log(`\n  ${JSON.stringify(api.summary)}`);
    console.log(`  server RSS ${mb(baseline)} at start, ${mb(api.peakRss)} at peak`);
  } finally {
    await server.stop();
  }

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const counts = (
    await client.query(`SELECT (SELECT count(*) FROM incidents)::int AS incidents, (SELECT count(*) FROM claims)::int AS claims,
      (SELECT count(*) FROM sources)::int AS sources, (SELECT count(*) FROM changes)::int AS changes,
      pg_size_pretty(pg_database_size(current_database())) AS size`)
  ).rows[0] as Record<string, unknown>;
  console.log(`  database: ${JSON.stringify(counts)}`);

  const floor = await databaseFloor(client);

  let copy: { seconds: number; rows: number } | undefined;
  if (!flag('no-copy')) {
    await client.query(`CREATE TABLE acled_raw (${COLUMNS.map(([c, type]) => `"${c}" ${type}`).join(', ')})`);
    console.log('psql \\copy of the same file…');
    // psql's \copy of the file into a plain table with the file's columns: the database's own bulk path.
    copy = await psqlCopy(DB, `\\copy acled_raw from '${file}' csv header`);
  }
  await client.end();

  const rate = ROWS / api.seconds;
  const rows: (string | number)[][] = [
    [
      'API import (NDJSON report)',
      api.lines.toLocaleString('en'),
      api.seconds.toFixed(1),
      Math.round(rate).toLocaleString('en'),
      copy ? `${(api.seconds / copy.seconds).toFixed(1)}×` : '–',
      `${rate >= TARGET_ROWS_PER_S ? 'pass' : 'FAIL'} ≥100k rows/s, ${copy && api.seconds <= TARGET_VS_COPY * copy.seconds ? 'pass' : 'FAIL'} ≤2× copy`,
    ],
  ];
  rows.push([
    'PostgreSQL alone: the same rows into copies of the tables',
    api.lines.toLocaleString('en'),
    floor.toFixed(1),
    Math.round(ROWS / floor).toLocaleString('en'),
    copy ? `${(floor / copy.seconds).toFixed(1)}×` : '–',
    'the writes alone, no API',
  ]);
  if (copy)
    rows.push([
      'psql \\copy into a plain table',
      copy.rows.toLocaleString('en'),
      copy.seconds.toFixed(1),
      Math.round(copy.rows / copy.seconds).toLocaleString('en'),
      '1.0×',
      'baseline',
    ]);
  console.log(`\nImport results (${new Date().toISOString()})`);
  console.log(table(['run', 'rows', 'seconds', 'rows/s', 'time vs copy', 'verdict'], rows));

  if (!flag('keep')) {
    await maintenanceQuery(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await rm(file);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
