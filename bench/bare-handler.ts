/**
 * The ceiling of this stack for the load benchmark: a bare Fastify + pg server that, per request, replays the
 * SQL the app sent for one request of the same scenario and answers with the rows through JSON.stringify. No
 * validation, schemas, hooks, mapping or access checks: what is left is HTTP, the driver and the database.
 *
 * Started by load-bench.ts with startServer (so it runs in its own process, like the app), which then sends the
 * replay plans (sql-capture.ts) over IPC. A request to /replay/<scenario>?in0=…&in1=… runs that scenario's plan
 * with the request's own values in place of the recorded ones (the incident id, the Idempotency-Key).
 */
import Fastify from 'fastify';
import pg from 'pg';
import { failStart, serveParent } from './common';
import { substitute, type ReplayPlan } from './sql-capture';

const BEGIN = /^\s*begin\b/i;
const END = /^\s*(commit|rollback)\b/i;

// Rows are read as the app's driver (drizzle) reads them: dates, timestamps and intervals stay text.
const RAW_TYPES = new Set<number>([
  pg.types.builtins.TIMESTAMPTZ,
  pg.types.builtins.TIMESTAMP,
  pg.types.builtins.DATE,
  pg.types.builtins.INTERVAL,
]);
const asText = (value: string) => value;
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    RAW_TYPES.has(oid) ? asText : pg.types.getTypeParser(oid, format),
} as pg.CustomTypesConfig;

async function main() {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('BENCH_DATABASE_URL is not set');
  const pool = new pg.Pool({
    connectionString: url,
    max: Number(process.env.BENCH_POOL_MAX ?? 20),
    application_name: 'corroborate-bench-replay',
    // The app's pool turns JIT off per connection (src/db/client.ts); the same SQL must run the same way here.
    options: '-c jit=off',
    types,
  });
  pool.on('error', () => undefined);

  /** Runs the plan's batches in order, each batch's statements together, a transaction on one client. */
  async function replay(plan: ReplayPlan, inputs: string[]): Promise<unknown[][]> {
    const tokens = new Map(plan.inputs.map((token, i) => [token, inputs[i]!]));
    const results: unknown[][] = [];
    let tx: pg.PoolClient | undefined;
    try {
      for (const batch of plan.batches) {
        await Promise.all(
          batch.map(async (index) => {
            const s = plan.statements[index]!;
            if (BEGIN.test(s.text)) tx = await pool.connect();
            const result = await (tx ?? pool).query({
              text: s.text,
              values: s.values.map((v) => substitute(v, tokens)),
              ...(s.name ? { name: s.name } : {}),
              ...(s.rowMode ? { rowMode: s.rowMode } : {}),
            } as pg.QueryConfig);
            results[index] = result.rows as unknown[];
            if (END.test(s.text) && tx) {
              tx.release();
              tx = undefined;
            }
          }),
        );
        for (const link of plan.links) {
          if (!batch.includes(link.statement)) continue;
          const row = results[link.statement]?.[link.row] as Record<string | number, unknown> | undefined;
          tokens.set(link.token, String(row?.[link.column]));
        }
      }
    } catch (err) {
      if (tx) {
        await tx.query('ROLLBACK').catch(() => undefined);
        tx.release();
      }
      throw err;
    }
    return results;
  }

  const plans = new Map<string, ReplayPlan>();
  const app = Fastify({ logger: false });
  app.route({
    method: ['GET', 'POST'],
    url: '/replay/:scenario',
    handler: async (request, reply) => {
      const plan = plans.get((request.params as { scenario: string }).scenario);
      if (!plan) return reply.code(404).send({ error: 'no plan for this scenario' });
      const query = request.query as Record<string, string | undefined>;
      const inputs = plan.inputs.map((_, i) => query[`in${i}`]);
      if (inputs.some((v) => v === undefined)) {
        return reply.code(400).send({ error: `this plan takes ${plan.inputs.length} inputs (in0…)` });
      }
      const rows = await replay(plan, inputs as string[]);
      reply.type('application/json');
      return JSON.stringify(rows);
    },
  });
  app.addHook('onClose', async () => {
    await pool.end();
  });

  await serveParent(app, (message) => {
    const sent = message.plans as Record<string, ReplayPlan> | undefined;
    if (!sent) return;
    for (const [name, plan] of Object.entries(sent)) plans.set(name, plan);
    process.send?.({ planned: plans.size });
  });
}

main().catch(failStart);
