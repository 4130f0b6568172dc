/**
 * Names the causes of slow requests: runs one request through an in-process copy of the app while recording
 * every SQL statement it sends, then EXPLAIN (ANALYZE, BUFFERS)s each statement with the same parameters.
 */
import pg from 'pg';
import { buildApp } from '../src/app';
import { openPostgres } from '../src/db/client';
import { benchConfig, databaseUrl } from './common';

interface Captured {
  text: string;
  values: unknown[];
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Total Time': number;
  'Actual Rows': number;
  'Actual Loops': number;
  'Plan Rows': number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Temp Read Blocks'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Sort Method'?: string;
  Filter?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  'Hash Cond'?: string;
  'Workers Launched'?: number;
  'Parent Relationship'?: string;
  'Subplan Name'?: string;
  Plans?: PlanNode[];
}

interface Explained {
  Plan: PlanNode;
  'Planning Time': number;
  'Execution Time': number;
  JIT?: { Timing?: { Total?: number } };
}

let capturing: Captured[] | null = null;

/** Records what any pg client in this process sends while a capture is on. */
function installCapture() {
  const proto = pg.Client.prototype as unknown as {
    query: (...args: unknown[]) => unknown;
    __benchPatched?: boolean;
  };
  if (proto.__benchPatched) return;
  const original = proto.query;
  proto.query = function patched(this: unknown, ...args: unknown[]) {
    if (capturing) {
      const [first, second] = args;
      if (typeof first === 'string') {
        capturing.push({ text: first, values: Array.isArray(second) ? second : [] });
      } else if (first && typeof first === 'object' && 'text' in first) {
        const q = first as { text: string; values?: unknown[] };
        capturing.push({ text: q.text, values: q.values ?? (Array.isArray(second) ? second : []) });
      }
    }
    return original.apply(this, args);
  };
  proto.__benchPatched = true;
}

const short = (s: string | undefined, n = 110) =>
  s === undefined ? '' : s.length > n ? `${s.slice(0, n - 1)}…` : s;

function describe(node: PlanNode): string {
  const on = node['Index Name']
    ? ` using ${node['Index Name']} on ${node['Relation Name']}`
    : node['Relation Name']
      ? ` on ${node['Relation Name']}`
      : '';
  const sub = node['Subplan Name'] ? ` [${node['Subplan Name']}]` : '';
  const loops = node['Actual Loops'];
  const total = node['Actual Total Time'] * loops;
  const buffers = `hit=${node['Shared Hit Blocks'] ?? 0} read=${node['Shared Read Blocks'] ?? 0}${node['Temp Read Blocks'] ? ` temp=${node['Temp Read Blocks']}` : ''}`;
  const removed =
    node['Rows Removed by Filter'] !== undefined
      ? ` removed_by_filter=${node['Rows Removed by Filter']}`
      : '';
  const cond = node['Index Cond'] ?? node['Recheck Cond'] ?? node['Hash Cond'] ?? node.Filter;
  const workers = node['Workers Launched'] !== undefined ? ` workers=${node['Workers Launched']}` : '';
  const sort = node['Sort Method'] ? ` ${node['Sort Method']}` : '';
  return `${node['Node Type']}${on}${sub}: ${total.toFixed(1)} ms, rows=${node['Actual Rows']}×${loops} (est ${node['Plan Rows']})${removed}${workers}${sort} ${buffers}${cond ? `\n      ${short(cond)}` : ''}`;
}

function planLines(node: PlanNode, depth = 0, out: string[] = [], maxLines = 14): string[] {
  if (out.length >= maxLines) return out;
  out.push(`${'  '.repeat(depth + 2)}${describe(node).replace(/\n {6}/, `\n${'  '.repeat(depth + 3)}  `)}`);
  for (const child of node.Plans ?? []) planLines(child, depth + 1, out, maxLines);
  return out;
}

export interface Explainer {
  explain(label: string, path: string): Promise<string>;
  close(): Promise<void>;
}

export async function createExplainer(): Promise<Explainer> {
  installCapture();
  const url = databaseUrl();
  const database = openPostgres({ url, poolMax: 4, applicationName: 'corroborate-bench-explain' });
  const app = await buildApp({
    config: benchConfig(),
    database,
    logger: false,
  });
  await app.ready();
  const client = new pg.Client({ connectionString: url, application_name: 'corroborate-bench-explain' });
  await client.connect();
  return {
    async explain(label, path) {
      capturing = [];
      const t0 = performance.now();
      const res = await app.inject({
        method: 'GET',
        url: path,
        headers: process.env.BENCH_API_KEY ? { authorization: `Bearer ${process.env.BENCH_API_KEY}` } : {},
      });
      const took = performance.now() - t0;
      const statements = capturing.filter((c) => /^\s*(select|with)/i.test(c.text));
      capturing = null;
      const explained: { text: string; plan: Explained }[] = [];
      for (const s of statements) {
        const r = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${s.text}`, s.values);
        const plan = (r.rows[0] as { 'QUERY PLAN': Explained[] })['QUERY PLAN'][0]!;
        explained.push({ text: s.text, plan });
      }
      const lines = [
        `${label}  GET ${path}`,
        `  one request in-process: ${took.toFixed(1)} ms, status ${res.statusCode}, ${statements.length} SQL statements: ${explained
          .map((e) => `${e.plan['Execution Time'].toFixed(1)} ms`)
          .join(' + ')}`,
      ];
      const slowest = [...explained].sort((a, b) => b.plan['Execution Time'] - a.plan['Execution Time'])[0];
      if (slowest) {
        const p = slowest.plan;
        const jit = p.JIT?.Timing?.Total;
        lines.push(
          `  slowest statement: execution ${p['Execution Time'].toFixed(1)} ms, planning ${p['Planning Time'].toFixed(1)} ms${jit ? `, JIT ${jit.toFixed(1)} ms` : ''}`,
          `    ${short(slowest.text.replace(/\s+/g, ' '), 400)}`,
          ...planLines(p.Plan),
        );
      }
      return lines.join('\n');
    },
    async close() {
      await client.end();
      await app.close();
      await database.close();
    },
  };
}
