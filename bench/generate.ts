/**
 * Fills a dedicated PostgreSQL database with a large synthetic incident dataset for the benchmarks.
 *
 *   npx tsx bench/generate.ts                 # 1,000,000 incidents into corroborate_bench
 *   npx tsx bench/generate.ts --rows 100000   # a smaller run (regenerates when the size differs)
 *   npx tsx bench/generate.ts --force         # regenerate even when the same size is already there
 *
 * Everything is generated in SQL (generate_series, INSERT … SELECT), deterministically from the row number, so two
 * runs of the same size hold the same data. Derived columns (status, casualties, killed_best) are computed in SQL
 * by the rules of src/domain/casualties.ts and src/domain/status.ts. No history rows are written.
 * Indexes and keys are dropped during the load and rebuilt afterwards from their saved definitions.
 */
import pg from 'pg';
import { openPostgres } from '../src/db/client';
import { BENCH_DB, databaseUrl, flag, numberArg } from './common';

const ROWS = Math.floor(numberArg('rows', 1_000_000));
const FORCE = flag('force');

/** Tables the load writes; their keys and indexes are dropped while loading. */
const TABLES = [
  'sources',
  'incidents',
  'claims',
  'incident_actors',
  'incident_tags',
  'incident_external_ids',
  'incident_ref_counters',
];

/** ~40 countries with their rough centre and number of first-level divisions; earlier ones get more incidents. */
const COUNTRIES: [string, string, number, number, number][] = [
  ['SYR', 'Syria', 35.0, 38.5, 14],
  ['UKR', 'Ukraine', 49.0, 31.5, 24],
  ['YEM', 'Yemen', 15.5, 47.5, 22],
  ['AFG', 'Afghanistan', 33.9, 67.7, 34],
  ['IRQ', 'Iraq', 33.2, 43.7, 18],
  ['SOM', 'Somalia', 5.2, 46.2, 18],
  ['NGA', 'Nigeria', 9.1, 8.7, 37],
  ['MLI', 'Mali', 17.6, -4.0, 10],
  ['SDN', 'Sudan', 15.5, 30.2, 18],
  ['SSD', 'South Sudan', 7.9, 30.0, 10],
  ['COD', 'DR Congo', -2.9, 23.7, 26],
  ['MMR', 'Myanmar', 21.9, 95.9, 15],
  ['ETH', 'Ethiopia', 9.1, 40.5, 12],
  ['BFA', 'Burkina Faso', 12.2, -1.6, 13],
  ['LBY', 'Libya', 26.3, 17.2, 22],
  ['PAK', 'Pakistan', 30.4, 69.3, 8],
  ['IND', 'India', 22.0, 79.0, 36],
  ['MEX', 'Mexico', 23.6, -102.5, 32],
  ['COL', 'Colombia', 4.6, -74.3, 33],
  ['BRA', 'Brazil', -14.2, -51.9, 27],
  ['PHL', 'Philippines', 12.9, 121.8, 17],
  ['CMR', 'Cameroon', 7.4, 12.4, 10],
  ['CAF', 'Central African Republic', 6.6, 20.9, 17],
  ['MOZ', 'Mozambique', -18.7, 35.5, 11],
  ['NER', 'Niger', 17.6, 8.1, 8],
  ['TCD', 'Chad', 15.5, 18.7, 23],
  ['LBN', 'Lebanon', 33.9, 35.9, 8],
  ['PSE', 'Palestine', 31.9, 35.2, 16],
  ['ISR', 'Israel', 31.0, 34.9, 6],
  ['TUR', 'Turkey', 39.0, 35.2, 81],
  ['KEN', 'Kenya', 0.0, 37.9, 47],
  ['UGA', 'Uganda', 1.4, 32.3, 4],
  ['BDI', 'Burundi', -3.4, 29.9, 18],
  ['HTI', 'Haiti', 19.0, -72.3, 10],
  ['VEN', 'Venezuela', 6.4, -66.6, 24],
  ['BGD', 'Bangladesh', 23.7, 90.4, 8],
  ['EGY', 'Egypt', 26.8, 30.8, 27],
  ['DZA', 'Algeria', 28.0, 1.7, 48],
  ['TUN', 'Tunisia', 34.0, 9.5, 24],
  ['RUS', 'Russia', 55.0, 45.0, 40],
];

/** The most frequent words; rarer made-up words (transliterated names) follow them in the vocabulary. */
const COMMON_WORDS =
  `reported killed civilians attack village town city district market road checkpoint convoy
forces armed group fighters militia army police soldiers security members local residents sources according
killed injured wounded dead bodies found morning evening night shelling strike airstrike drone rocket mortar
artillery explosion device improvised mine landmine vehicle truck bus car motorcycle house houses homes school
hospital clinic mosque church camp displaced refugees women children men elderly family families farmers herders
students journalists workers protesters demonstrators crowd gathered dispersed tear gas arrested detained abducted
kidnapped released executed shot burned looted destroyed damaged raided clashes fighting battle offensive
positions frontline base outpost border crossing area region near outskirts centre northern southern eastern
western following after during amid between since reportedly claimed denied responsibility unknown gunmen
assailants attackers perpetrators victims witnesses says said statement officials government opposition rebels
insurgents coalition troops patrol ambush raid siege ceasefire violation water food aid supplies power station
bridge airport port field farm cattle livestock`
    .split(/\s+/)
    .filter(Boolean);

const SYLLABLES = [
  'al',
  'ba',
  'dar',
  'el',
  'far',
  'gha',
  'ha',
  'is',
  'ja',
  'ka',
  'lu',
  'ma',
  'na',
  'or',
  'qa',
  'ra',
];

function vocabulary(size = 2000): string[] {
  const words = [...new Set(COMMON_WORDS)];
  const seen = new Set(words);
  for (let i = 0; words.length < size; i++) {
    const parts = [i % 16, Math.floor(i / 16) % 16, Math.floor(i / 256) % 16].map((k) => SYLLABLES[k]!);
    const word = parts.join('') + (i >= 4096 ? String(i) : '');
    if (!seen.has(word)) {
      seen.add(word);
      words.push(word);
    }
  }
  return words;
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** Seconds taken by each stage of the build, in order, for the summary at the end. */
const stages: { stage: string; seconds: number }[] = [];
function timed(stage: string, seconds: number) {
  const last = stages.at(-1);
  if (last?.stage === stage) last.seconds += seconds;
  else stages.push({ stage, seconds });
}

/** Runs one statement of the build, prints its rows and time, and counts the time under `stage` (its label). */
async function step<T>(
  client: pg.Client,
  label: string,
  text: string,
  values: unknown[] = [],
  stage = label,
): Promise<T[]> {
  const t0 = Date.now();
  if (process.env.BENCH_EXPLAIN && label.startsWith(process.env.BENCH_EXPLAIN)) {
    const plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
    console.log(plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'));
  }
  const result = await client.query(text, values);
  const rows = result.rowCount ?? 0;
  timed(stage, (Date.now() - t0) / 1000);
  console.log(
    `  ${label.padEnd(44)} ${String(rows).padStart(9)}  ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s`,
  );
  return result.rows as T[];
}

async function ensureDatabase() {
  const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [BENCH_DB]);
    if (!rowCount) {
      await admin.query(`CREATE DATABASE ${BENCH_DB}`);
      console.log(`created database ${BENCH_DB}`);
    }
  } finally {
    await admin.end();
  }
}

async function counts(client: pg.Client) {
  const { rows } = await client.query<Record<string, string>>(`SELECT
    (SELECT count(*) FROM incidents) AS incidents, (SELECT count(*) FROM claims) AS claims,
    (SELECT count(*) FROM sources) AS sources, (SELECT count(*) FROM incident_actors) AS actors,
    (SELECT count(*) FROM incident_tags) AS tags, (SELECT count(*) FROM incident_external_ids) AS external_ids,
    (SELECT count(*) FROM incident_ref_counters) AS ref_counters,
    pg_size_pretty(pg_database_size(current_database())) AS database_size`);
  return rows[0]!;
}

async function main() {
  await ensureDatabase();
  const url = databaseUrl();
  const database = openPostgres({ url, poolMax: 2, applicationName: 'corroborate-bench-generate' });
  await database.migrate();
  await database.close();

  const client = new pg.Client({ connectionString: url, application_name: 'corroborate-bench-generate' });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS bench;
      CREATE TABLE IF NOT EXISTS bench.meta (key text PRIMARY KEY, value text NOT NULL);
      CREATE TABLE IF NOT EXISTS bench.saved_ddl (ord int PRIMARY KEY, kind text NOT NULL, tbl text NOT NULL,
        name text NOT NULL, def text NOT NULL)`);
    const meta = Object.fromEntries(
      (await client.query<{ key: string; value: string }>('SELECT key, value FROM bench.meta')).rows.map(
        (r) => [r.key, r.value],
      ),
    );
    if (!FORCE && meta.state === 'complete' && Number(meta.rows) === ROWS) {
      console.log(
        `${BENCH_DB} already holds the generated dataset of ${ROWS.toLocaleString('en')} incidents (generated ${meta.generated_at} in ${meta.elapsed_s} s); nothing to do (--force regenerates).`,
      );
      console.log(await counts(client));
      return;
    }
    if (meta.state) {
      console.log(`regenerating: found state=${meta.state} rows=${meta.rows}, want rows=${ROWS}`);
    }
    console.log(`generating ${ROWS.toLocaleString('en')} incidents into ${BENCH_DB}`);
    await client.query(
      `INSERT INTO bench.meta VALUES ('state', 'loading'), ('rows', $1)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [String(ROWS)],
    );
    await client.query(`SET work_mem = '256MB'; SET maintenance_work_mem = '1GB';
      SET synchronous_commit = off; SET max_parallel_maintenance_workers = 2; SET jit = off`);

    // Keys and indexes: save their definitions once (a crashed run keeps the saved ones), then drop them.
    const saved = await client.query('SELECT count(*)::int AS n FROM bench.saved_ddl');
    if (saved.rows[0].n === 0) {
      await client.query(
        `INSERT INTO bench.saved_ddl (ord, kind, tbl, name, def)
         SELECT row_number() OVER (ORDER BY k, tbl, name), kind, tbl, name, def FROM (
           SELECT CASE c.contype WHEN 'f' THEN 3 ELSE 1 END AS k, 'constraint' AS kind, r.relname AS tbl,
             c.conname AS name, pg_get_constraintdef(c.oid) AS def
           FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace s ON s.oid = r.relnamespace
           WHERE s.nspname = 'public' AND r.relname = ANY($1) AND c.contype IN ('p', 'u', 'f')
           UNION ALL
           SELECT 2, 'index', i.tablename, i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.schemaname = 'public' AND i.tablename = ANY($1)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
         ) d`,
        [TABLES],
      );
    }
    const ddl = (
      await client.query<{ kind: string; tbl: string; name: string; def: string }>(
        'SELECT kind, tbl, name, def FROM bench.saved_ddl ORDER BY ord',
      )
    ).rows;
    console.log(`${elapsed()}  dropping ${ddl.length} keys and indexes for the load`);
    for (const d of [...ddl].reverse()) {
      await client.query(
        d.kind === 'index'
          ? `DROP INDEX IF EXISTS public.${d.name}`
          : `ALTER TABLE public.${d.tbl} DROP CONSTRAINT IF EXISTS ${d.name}`,
      );
    }
    await client.query(
      `TRUNCATE ${[...TABLES, 'changes', 'idempotency_keys'].join(', ')};
       DROP TABLE IF EXISTS bench.claims_stage, bench.derived, bench.lists, bench.phrases, bench.countries`,
    );

    // Deterministic pseudo-random numbers, ids and names from the row number.
    const vocab = vocabulary();
    await client.query(`
      CREATE OR REPLACE FUNCTION bench.u(n bigint, k int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT (hashint8extended(n, k) & 9007199254740991)::float8 / 9007199254740992.0 $$;
      CREATE OR REPLACE FUNCTION bench.id(kind text, n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT overlay(overlay(md5(kind || ':' || n) placing '4' from 13) placing '8' from 17)::uuid $$;
      CREATE OR REPLACE FUNCTION bench.name(h bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT initcap((ARRAY[${SYLLABLES.map(quote).join(',')}])[1 + (hashint8extended(h, 7) & 15)::int]
          || (ARRAY[${SYLLABLES.map(quote).join(',')}])[1 + ((hashint8extended(h, 7) >> 4) & 15)::int]
          || (ARRAY[${SYLLABLES.map(quote).join(',')}])[1 + ((hashint8extended(h, 7) >> 8) & 15)::int]
          || CASE WHEN (hashint8extended(h, 7) >> 12) & 3 = 0
               THEN (ARRAY[${SYLLABLES.map(quote).join(',')}])[1 + ((hashint8extended(h, 7) >> 16) & 15)::int]
               ELSE '' END) $$;
      CREATE OR REPLACE FUNCTION bench.vocab() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT ARRAY[${vocab.map(quote).join(',')}] $$;
      CREATE OR REPLACE FUNCTION bench.cidx(n bigint) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT 1 + floor(${COUNTRIES.length} * power(bench.u(n, 1), 2.2))::int $$;
      CREATE OR REPLACE FUNCTION bench.day(n bigint) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT date '2011-01-01' + floor(5478 * power(bench.u(n, 2), 0.75))::int $$;
      CREATE OR REPLACE FUNCTION bench.nclaims(n bigint) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN u < 0.10 THEN 0 WHEN u < 0.40 THEN 1 WHEN u < 0.65 THEN 2 WHEN u < 0.80 THEN 3
                    WHEN u < 0.90 THEN 4 ELSE 5 END FROM (SELECT bench.u(n, 30) AS u) v $$;
      -- The incident's underlying toll: half have none, the rest a heavy tail (median 2, ~1 % of them >= 100).
      CREATE OR REPLACE FUNCTION bench.toll(n bigint) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN bench.u(n, 40) < 0.5 THEN NULL
          ELSE least(50000, floor(2 / power(1 - bench.u(n, 41), 1 / 1.1)) - 1)::int END $$;
      CREATE OR REPLACE FUNCTION bench.words(n bigint, k int, cnt int) RETURNS text LANGUAGE plpgsql
        IMMUTABLE PARALLEL SAFE AS $$
        DECLARE v text[] := bench.vocab(); nv int := array_length(v, 1); out text := ''; i int;
        BEGIN
          FOR i IN 1..cnt LOOP
            out := out || CASE WHEN i > 1 THEN ' ' ELSE '' END
                       || v[1 + floor(nv * power(bench.u(n, k * 64 + i), 3))::int];
          END LOOP;
          RETURN out;
        END $$;
      CREATE UNLOGGED TABLE bench.countries (idx int PRIMARY KEY, code text, name text, lat float8, lon float8,
        nadm int);
      INSERT INTO bench.countries VALUES ${COUNTRIES.map(
        ([code, name, lat, lon, nadm], i) =>
          `(${i + 1}, ${quote(code)}, ${quote(name)}, ${lat}, ${lon}, ${nadm})`,
      ).join(', ')};
      -- 4,096 word sequences with a Zipf-like word frequency; texts are made of two of them.
      CREATE UNLOGGED TABLE bench.phrases AS
        SELECT i, bench.words(i, 1, 6 + floor(7 * bench.u(i, 2))::int) AS p FROM generate_series(0, 4095) i;
      ALTER TABLE bench.phrases ADD PRIMARY KEY (i);
      ANALYZE bench.countries; ANALYZE bench.phrases;`);
    console.log(`${elapsed()}  helpers ready (vocabulary of ${vocab.length} words)`);

    const sourceCount = Math.max(50, Math.min(3000, Math.ceil(ROWS / 300)));
    await step(
      client,
      'sources',
      `INSERT INTO sources (id, name, acronym, kind, url, country, independence_group, reliability,
         party_to_conflict, protected, notes, created_at, updated_at)
       SELECT bench.id('s', i),
         bench.name(900000 + i) || ' ' || (ARRAY['Monitor','Observatory','News','Network','Agency','Watch',
           'Ministry','Council','Radio','Channel'])[1 + floor(10 * bench.u(i, 2))::int] || ' ' || i,
         CASE WHEN bench.u(i, 3) < 0.3 THEN upper(left(bench.name(900000 + i), 3)) END,
         (ARRAY['monitor','ngo','news_media','state_media','government','intergovernmental','armed_group',
           'witness','social_media','other'])[1 + floor(10 * power(bench.u(i, 4), 1.5))::int],
         'https://example.org/sources/' || i,
         c.code,
         CASE WHEN bench.u(i, 5) < 0.4 THEN 'group-' || floor(150 * bench.u(i, 6))::int END,
         CASE WHEN r < 0.05 THEN 'A' WHEN r < 0.25 THEN 'B' WHEN r < 0.55 THEN 'C' WHEN r < 0.75 THEN 'D'
              WHEN r < 0.80 THEN 'E' ELSE 'F' END,
         bench.u(i, 8) < 0.1, bench.u(i, 9) < 0.05,
         CASE WHEN bench.u(i, 10) < 0.2 THEN 'Benchmark source.' END,
         timestamptz '2010-06-01 00:00Z' + i * interval '1 minute',
         timestamptz '2010-06-01 00:00Z' + i * interval '1 minute'
       FROM generate_series(1, ${sourceCount}) i
       CROSS JOIN LATERAL (SELECT bench.u(i, 7) AS r) rr
       JOIN bench.countries c ON c.idx = bench.cidx(i)`,
    );

    // Claims with their incident's row number and ordinal, so derived figures can name the claims by id.
    await step(
      client,
      'claims (staging)',
      `CREATE UNLOGGED TABLE bench.claims_stage AS
       SELECT n, j, m, bench.id('c', m) AS id, bench.id('i', n) AS incident_id,
         bench.id('s', 1 + floor(${sourceCount} * power(bench.u(m, 31), 2))::int) AS source_id,
         CASE WHEN bench.u(m, 32) < 0.07 THEN 'contradicts' ELSE 'supports' END AS stance,
         CASE WHEN bench.u(m, 33) < 0.70 THEN 'accepted' WHEN bench.u(m, 33) < 0.92 THEN 'pending'
              ELSE 'rejected' END AS review_status,
         (1 + floor(6 * bench.u(m, 34)))::smallint AS credibility,
         CASE WHEN bench.u(m, 44) < 0.9 THEN
           least(now(), bench.day(n) + (j + floor(3 * bench.u(m, 45))::int) + bench.u(m, 46) * interval '1 day')
         END AS published_at,
         killed, killed_civilians, killed_combatants, injured, detained, missing,
         bench.u(m, 47) < 0.2 AS figures_are_minimum,
         (SELECT p FROM bench.phrases WHERE i = floor(4096 * bench.u(m, 48))::int) ||
           CASE WHEN killed IS NOT NULL THEN '; ' || killed || ' killed' ELSE '' END AS statement,
         (ARRAY['en','en','en','en','en','en','ar','ar','uk','fr'])[1 + floor(10 * bench.u(m, 49))::int] AS language,
         least(now(), bench.day(n) + (j + 1) + bench.u(m, 50) * interval '1 day') AS created_at,
         CASE WHEN bench.u(m, 51) < 0.01 THEN least(now(), bench.day(n) + 60) END AS deleted_at,
         bench.u(m, 52) AS uurl
       FROM generate_series(1, ${ROWS}) n
       CROSS JOIN LATERAL generate_series(1, bench.nclaims(n)) j
       CROSS JOIN LATERAL (SELECT n * 8 + j AS m, bench.toll(n) AS toll) t
       CROSS JOIN LATERAL (SELECT CASE WHEN toll IS NOT NULL THEN
           CASE WHEN bench.u(m, 35) < 0.85 THEN round(toll * (0.7 + 0.6 * bench.u(m, 36)))::int END
         ELSE CASE WHEN bench.u(m, 35) < 0.2 THEN 0 END END AS killed) k
       CROSS JOIN LATERAL (SELECT
         CASE WHEN killed IS NOT NULL AND bench.u(m, 37) < 0.4 THEN floor(killed * bench.u(m, 38))::int END
           AS killed_civilians,
         CASE WHEN killed IS NOT NULL AND bench.u(m, 39) < 0.25 THEN floor(killed * bench.u(m, 53))::int END
           AS killed_combatants,
         CASE WHEN bench.u(m, 42) < 0.5 THEN floor(coalesce(toll, 3) * 1.5 * bench.u(m, 43))::int END AS injured,
         CASE WHEN bench.u(m, 54) < 0.08 THEN floor(20 * bench.u(m, 55))::int END AS detained,
         CASE WHEN bench.u(m, 56) < 0.05 THEN floor(10 * bench.u(m, 57))::int END AS missing) f`,
    );

    await step(
      client,
      'claims',
      `INSERT INTO claims (id, incident_id, source_id, stance, statement, language, published_at, url,
         archived_url, content_sha256, killed, killed_civilians, killed_combatants, injured, detained, missing,
         figures_are_minimum, credibility, review_status, review_note, created_at, updated_at, deleted_at)
       SELECT id, incident_id, source_id, stance, statement, language, published_at,
         'https://example.org/reports/' || m,
         CASE WHEN uurl < 0.3 THEN 'https://archive.example.org/' || m END,
         CASE WHEN uurl < 0.4 THEN md5(id::text) || md5(incident_id::text) END,
         killed, killed_civilians, killed_combatants, injured, detained, missing, figures_are_minimum,
         credibility, review_status, CASE WHEN review_status = 'rejected' THEN 'Not corroborated.' END,
         created_at, created_at, deleted_at
       FROM bench.claims_stage`,
    );

    // SPEC §3 in SQL: rank the accepted live claims best first (reliability, credibility, latest published,
    // id), then per figure low/high with the better-ranked claim on ties, best from the top-ranked claim.
    const figures = ['killed', 'killed_civilians', 'killed_combatants', 'injured', 'detained', 'missing'];
    await step(
      client,
      'derived status and casualties',
      `CREATE UNLOGGED TABLE bench.derived AS
       WITH ranked AS (
         SELECT c.n, c.j, c.stance = 'supports' AS sup, coalesce('group:' || s.independence_group,
           'source:' || s.id) AS ikey, ${figures.map((f) => `c.${f}`).join(', ')},
           row_number() OVER (PARTITION BY c.n ORDER BY s.reliability, c.credibility,
             c.published_at DESC NULLS LAST, c.id)::int AS rn
         FROM bench.claims_stage c JOIN sources s ON s.id = c.source_id
         WHERE c.review_status = 'accepted' AND c.deleted_at IS NULL
       )
       SELECT n,
         CASE WHEN bool_or(sup) AND bool_or(NOT sup) THEN 'disputed'
              WHEN count(DISTINCT ikey) FILTER (WHERE sup) >= 2 THEN 'corroborated'
              ELSE 'unverified' END AS status,
         (min(ARRAY[rn, j, killed]) FILTER (WHERE sup AND killed IS NOT NULL))[3] AS killed_best,
         jsonb_build_object('method', 'ranked-source/1', ${figures
           .map(
             (f) => `'${f}', CASE WHEN count(${f}) FILTER (WHERE sup) > 0 THEN jsonb_build_object(
               'low', (min(ARRAY[${f}, rn, j]) FILTER (WHERE sup AND ${f} IS NOT NULL))[1],
               'best', (min(ARRAY[rn, j, ${f}]) FILTER (WHERE sup AND ${f} IS NOT NULL))[3],
               'high', -((min(ARRAY[-${f}, rn, j]) FILTER (WHERE sup AND ${f} IS NOT NULL))[1]),
               'claims', count(${f}) FILTER (WHERE sup),
               'low_claim_id', bench.id('c', n * 8 + (min(ARRAY[${f}, rn, j])
                  FILTER (WHERE sup AND ${f} IS NOT NULL))[3]),
               'best_claim_id', bench.id('c', n * 8 + (min(ARRAY[rn, j, ${f}])
                  FILTER (WHERE sup AND ${f} IS NOT NULL))[2]),
               'high_claim_id', bench.id('c', n * 8 + (min(ARRAY[-${f}, rn, j])
                  FILTER (WHERE sup AND ${f} IS NOT NULL))[3])) END`,
           )
           .join(', ')}) AS casualties
       FROM ranked GROUP BY n`,
    );

    await step(
      client,
      'incident_actors',
      `INSERT INTO incident_actors (incident_id, position, name, role)
       SELECT bench.id('i', n), p,
         bench.name(700000 + floor(400 * power(bench.u(n * 4 + p, 61), 2))::int) || ' ' ||
           (ARRAY['Brigade','Front','Army','Militia','Police','Forces','Movement','Battalion'])
             [1 + floor(8 * bench.u(n * 4 + p, 62))::int],
         CASE WHEN p = 0 THEN 'perpetrator' WHEN bench.u(n, 63) < 0.8 THEN 'target' ELSE 'other' END
       FROM generate_series(1, ${ROWS}) n
       CROSS JOIN LATERAL generate_series(0, CASE WHEN bench.u(n, 60) < 0.3 THEN 1 ELSE 0 END) p
       WHERE bench.u(n, 64) < 0.4`,
    );
    await step(
      client,
      'incident_tags',
      `INSERT INTO incident_tags (incident_id, tag)
       SELECT bench.id('i', n), (ARRAY['children','women','journalists','health','education','aid-workers',
         'displacement','detention','torture','cluster-munitions','chemical','landmines','siege','cross-border',
         'cultural-heritage','water','food','energy','religious-site','market','funeral','wedding','refugee-camp',
         'checkpoint','prison','university','election','sexual-violence','mass-grave','drone'])
         [1 + (floor(30 * power(bench.u(n, 70), 1.5))::int + k * 7) % 30]
       FROM generate_series(1, ${ROWS}) n
       CROSS JOIN LATERAL generate_series(0, floor(3 * bench.u(n, 71))::int) k
       WHERE bench.u(n, 72) < 0.3`,
    );
    await step(
      client,
      'incident_external_ids',
      `INSERT INTO incident_external_ids (incident_id, system, external_id)
       SELECT bench.id('i', n), 'acled', 'BENCH' || n FROM generate_series(1, ${ROWS}) n
       WHERE bench.u(n, 80) < 0.2`,
    );
    // Each incident's lists as JSON, from the list tables in one pass each (grouped by incident, not a lookup per
    // incident): the same text listsFromTablesText gives (src/modules/incidents/incident-lists.ts), with its
    // order and records, so the incidents are inserted with them and never rewritten.
    await step(
      client,
      'incident lists (JSON per incident)',
      `CREATE UNLOGGED TABLE bench.lists AS
       SELECT incident_id, a.actors, t.tags, e.external_ids
       FROM (SELECT a.incident_id, array_to_json(array_agg(r ORDER BY a.position)) AS actors
             FROM incident_actors a CROSS JOIN LATERAL (SELECT a.name, a.role) r GROUP BY a.incident_id) a
       FULL JOIN (SELECT t.incident_id, array_to_json(array_agg(t.tag ORDER BY t.tag)) AS tags
             FROM incident_tags t GROUP BY t.incident_id) t USING (incident_id)
       FULL JOIN (SELECT e.incident_id, array_to_json(array_agg(r ORDER BY e.system, e.external_id))
               AS external_ids
             FROM incident_external_ids e CROSS JOIN LATERAL (SELECT e.system, e.external_id AS id) r
             GROUP BY e.incident_id) e USING (incident_id)`,
    );

    const emptyCasualties = `jsonb_build_object('method', 'ranked-source/1', ${figures
      .map((f) => `'${f}', NULL::jsonb`)
      .join(', ')})`;
    await step(
      client,
      'incidents',
      `INSERT INTO incidents (id, ref, title, summary, category, subcategory, occurred_from, occurred_to,
         date_precision, country, admin1, admin2, admin3, place, latitude, longitude, geo_precision, status,
         casualties, killed_best, verification_status, verification_rationale, verified_by, verified_at,
         created_at, updated_at, version, deleted_at, actors, tags, external_ids)
       WITH base AS (
         SELECT n, c.idx, c.code, c.lat AS clat, c.lon AS clon, c.nadm, bench.day(n) AS d,
           bench.u(n, 3) < 0.01 AS no_country, bench.u(n, 4) AS ucat, bench.u(n, 5) AS usub,
           floor(c.nadm * power(bench.u(n, 6), 1.6))::int AS a1, floor(8 * bench.u(n, 7))::int AS a2,
           floor(60 * power(bench.u(n, 8), 1.3))::int AS pl, bench.u(n, 9) AS ugeo, bench.u(n, 12) AS uprec,
           bench.u(n, 13) AS uspan, bench.u(n, 15) AS uupd, bench.u(n, 17) AS uver
         FROM generate_series(1, ${ROWS}) n JOIN bench.countries c ON c.idx = bench.cidx(n)
       ), named AS (
         SELECT b.*,
           CASE WHEN no_country THEN NULL ELSE code END AS country,
           CASE WHEN ucat < 0.30 THEN 'battle' WHEN ucat < 0.58 THEN 'explosion_remote_violence'
                WHEN ucat < 0.78 THEN 'violence_against_civilians' WHEN ucat < 0.90 THEN 'protest'
                WHEN ucat < 0.96 THEN 'riot' ELSE 'strategic_development' END AS category,
           bench.name(idx * 100000 + a1 * 100 + pl) AS place_name,
           NOT no_country AND ugeo < 0.7 AS has_geo,
           least(now(), d + 1 + floor(40 * bench.u(n, 14))::int + bench.u(n, 16) * interval '1 day') AS created
         FROM base b
       ), shaped AS (
         SELECT s.*,
           CASE category
             WHEN 'battle' THEN CASE WHEN usub < 0.8 THEN 'armed_clash' END
             WHEN 'explosion_remote_violence' THEN CASE WHEN usub < 0.35 THEN 'air_strike'
               WHEN usub < 0.55 THEN 'drone_strike' WHEN usub < 0.9 THEN 'shelling' ELSE 'other' END
             WHEN 'violence_against_civilians' THEN CASE WHEN usub < 0.15 THEN 'mass_killing'
               WHEN usub < 0.3 THEN 'execution' WHEN usub < 0.7 THEN 'attack' WHEN usub < 0.9 THEN 'abduction'
               ELSE 'sexual_violence' END
             ELSE CASE WHEN usub < 0.2 THEN 'other' END END AS subcategory,
           CASE WHEN uupd < 0.3 THEN least(now(), created + uupd * interval '600 days') ELSE created END AS updated
         FROM named s
       )
       SELECT bench.id('i', n),
         coalesce(country, 'XXX') || '-' || extract(year FROM d) || '-' || lpad(row_number() OVER (
           PARTITION BY coalesce(country, 'XXX'), extract(year FROM d) ORDER BY created, n)::text, 6, '0'),
         upper(left(coalesce(subcategory, category), 1)) || replace(substr(coalesce(subcategory, category), 2), '_', ' ') || ' in ' || place_name || ': ' ||
           (SELECT p FROM bench.phrases WHERE i = floor(4096 * bench.u(n, 18))::int),
         CASE WHEN bench.u(n, 19) < 0.9 THEN
           (SELECT p FROM bench.phrases WHERE i = floor(4096 * bench.u(n, 20))::int) || ' ' ||
           (SELECT p FROM bench.phrases WHERE i = floor(4096 * bench.u(n, 21))::int) || ' near ' || place_name || '.'
         END,
         category, subcategory, d,
         d + CASE WHEN uspan < 0.9 THEN 0 ELSE 1 + floor((uspan - 0.9) * 50)::int END,
         CASE WHEN uprec < 0.85 THEN 'day' WHEN uprec < 0.95 THEN 'week' WHEN uprec < 0.99 THEN 'month'
              ELSE 'year' END,
         country,
         CASE WHEN NOT no_country THEN bench.name(idx * 1000 + a1) END,
         CASE WHEN NOT no_country AND bench.u(n, 22) < 0.8 THEN bench.name(idx * 100000 + a1 * 100 + a2 + 50) END,
         NULL,
         CASE WHEN NOT no_country AND bench.u(n, 23) < 0.85 THEN place_name END,
         CASE WHEN has_geo THEN round((greatest(-89, least(89, clat + (bench.u(n, 10) - 0.5) * 5)))::numeric, 5)::float8 END,
         CASE WHEN has_geo THEN round((greatest(-179, least(179, clon + (bench.u(n, 11) - 0.5) * 5)))::numeric, 5)::float8 END,
         CASE WHEN has_geo THEN CASE WHEN ugeo < 0.3 THEN 'exact' WHEN ugeo < 0.5 THEN 'near'
                WHEN ugeo < 0.6 THEN 'admin3' ELSE 'admin2' END
              ELSE CASE WHEN ugeo < 0.9 THEN 'admin1' WHEN ugeo < 0.97 THEN 'country' END END,
         CASE WHEN uver < 0.005 THEN 'verified' WHEN uver < 0.007 THEN 'discredited'
              ELSE coalesce(x.status, 'unverified') END,
         coalesce(x.casualties, ${emptyCasualties}),
         x.killed_best,
         CASE WHEN uver < 0.005 THEN 'verified' WHEN uver < 0.007 THEN 'discredited' END,
         CASE WHEN uver < 0.007 THEN 'Checked against imagery and independent testimony.' END,
         CASE WHEN uver < 0.007 THEN 'bench-verifier' END,
         CASE WHEN uver < 0.007 THEN updated END,
         created, updated,
         CASE WHEN uupd < 0.3 THEN 2 + floor(uupd * 10)::int ELSE 1 END,
         CASE WHEN bench.u(n, 24) < 0.005 THEN updated END,
         coalesce(l.actors, '[]'::json), coalesce(l.tags, '[]'::json), coalesce(l.external_ids, '[]'::json)
       FROM shaped LEFT JOIN bench.derived x USING (n) LEFT JOIN bench.lists l ON l.incident_id = bench.id('i', n)`,
    );

    await step(
      client,
      'incident_ref_counters',
      `INSERT INTO incident_ref_counters (prefix, last_value)
       SELECT left(ref, 8), max(right(ref, 6)::int) FROM incidents GROUP BY left(ref, 8)`,
    );
    await client.query('DROP TABLE bench.claims_stage, bench.derived, bench.lists');

    console.log(`${elapsed()}  rebuilding ${ddl.length} keys and indexes`);
    for (const d of ddl) {
      const exists = await client.query(
        d.kind === 'index'
          ? `SELECT 1 FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
             WHERE s.nspname = 'public' AND c.relname = $1`
          : `SELECT 1 FROM pg_constraint WHERE conname = $1`,
        [d.name],
      );
      if (exists.rowCount) continue;
      await step(
        client,
        `${d.kind} ${d.name}`.slice(0, 44),
        d.kind === 'index' ? d.def : `ALTER TABLE public.${d.tbl} ADD CONSTRAINT ${d.name} ${d.def}`,
        [],
        `keys and indexes (${ddl.length})`,
      );
    }
    await client.query('DELETE FROM bench.saved_ddl');

    console.log(`${elapsed()}  VACUUM ANALYZE`);
    for (const t of [...TABLES, 'changes']) {
      await step(client, `vacuum analyze ${t}`, `VACUUM ANALYZE ${t}`, [], 'VACUUM ANALYZE');
    }

    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    await client.query(
      `INSERT INTO bench.meta VALUES ('state', 'complete'), ('generated_at', now()::text), ('elapsed_s', $1)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [seconds],
    );
    console.log(await counts(client));
    const other = (Date.now() - started) / 1000 - stages.reduce((sum, s) => sum + s.seconds, 0);
    console.log('build time by step:');
    for (const { stage, seconds } of [
      ...stages,
      { stage: 'other (migrations, helpers, dropping keys)', seconds: other },
    ]) {
      console.log(`  ${stage.padEnd(44)} ${seconds.toFixed(1).padStart(8)} s`);
    }
    console.log(`done: ${ROWS.toLocaleString('en')} incidents built in ${elapsed()}`);
  } finally {
    await client.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
