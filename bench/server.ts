/**
 * The real app on the benchmark database, for the benchmark scripts (started by them with fork, not by hand).
 * Listens on 127.0.0.1 on a free port, logger off, and tells the parent the port over IPC.
 *
 * It also serves /bench/bare/incidents: a bare Fastify + pg handler running the list's main SQL with no
 * schema, mapping or list loading, as the ceiling of this stack measured in the same run (BENCH-ANCHORS).
 */
import pg from 'pg';
import { buildApp } from '../src/app';
import { benchConfig, failStart, serveParent } from './common';
import { openPostgres } from '../src/db/client';

const BARE_SQL = `SELECT id, ref, title, summary, category, subcategory, occurred_from, occurred_to, date_precision,
  country, admin1, admin2, admin3, place, latitude, longitude, geo_precision, parent_id, duplicate_of, status,
  casualties, killed_best, verification_status, verification_rationale, verified_by, verified_at, created_at,
  updated_at, version, deleted_at
FROM incidents
WHERE deleted_at IS NULL AND ($1::text IS NULL OR country = $1) AND ($2::date IS NULL OR occurred_to >= $2)
  AND ($3::date IS NULL OR occurred_from <= $3)
ORDER BY occurred_from DESC, id DESC
LIMIT 51`;

async function main() {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('BENCH_DATABASE_URL is not set');
  const poolMax = Number(process.env.BENCH_POOL_MAX ?? 20);
  const database = openPostgres({ url, poolMax, applicationName: 'corroborate-bench' });
  const app = await buildApp({
    config: benchConfig(),
    database,
    logger: false,
  });

  const bare = new pg.Pool({
    connectionString: url,
    max: poolMax,
    application_name: 'corroborate-bench-bare',
  });
  bare.on('error', () => undefined);
  // Prepared by name, as the anchors' bare handler with a prepared statement.
  // Declared public where the app has an access policy (and so outside its rate limit), as a bare handler would be.
  app.get('/bench/bare/incidents', { config: { access: 'public' } as never }, async (request, reply) => {
    const q = request.query as { country?: string; from?: string; to?: string };
    const result = await bare.query({
      name: 'bench_bare_list',
      text: BARE_SQL,
      values: [q.country ?? null, q.from ?? null, q.to ?? null],
    });
    reply.type('application/json');
    return JSON.stringify({ data: result.rows.slice(0, 50), next_cursor: null });
  });

  app.addHook('onClose', async () => {
    await bare.end();
    await database.close();
  });
  await serveParent(app);
}

main().catch(failStart);
