/** Shared by the benchmark scripts: where the benchmark database is, arguments, and the API server child. */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../src/config';

export const BENCH_DB = process.env.BENCH_DB ?? 'corroborate_bench';
export const PG_HOST = process.env.BENCH_PG_HOST ?? '127.0.0.1';
export const PG_PORT = Number(process.env.BENCH_PG_PORT ?? 5432);
export const PG_USER = process.env.BENCH_PG_USER ?? 'postgres';

export const databaseUrl = (db = BENCH_DB) => `postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/${db}`;

/**
 * The app's settings for benchmarks: logger silent, and rate limits (where the app has them) raised to their
 * maximum so the load generator measures the endpoints rather than 429s. BENCH_APP_* variables override any
 * setting (BENCH_APP_RATE_LIMIT_ANONYMOUS_PER_MINUTE=300 measures with the default limit).
 */
export function benchConfig(): Config {
  const overrides = Object.fromEntries(
    Object.entries(process.env)
      .filter(([k]) => k.startsWith('BENCH_APP_'))
      .map(([k, v]) => [k.slice('BENCH_APP_'.length), v]),
  );
  return loadConfig({
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    ...overrides,
  });
}

/** `--name value` or `--name=value`; the fallback when absent. */
export function arg(name: string, fallback: string): string;
export function arg(name: string): string | undefined;
export function arg(name: string, fallback?: string): string | undefined {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return fallback;
}

export const flag = (name: string) => process.argv.slice(2).includes(`--${name}`);

export function numberArg(name: string, fallback: number): number {
  const value = Number(arg(name, String(fallback)).replace(/_/g, ''));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : NaN;
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export interface ServerChild {
  child: ChildProcess;
  pid: number;
  port: number;
  base: string;
  stop(): Promise<void>;
}

/**
 * Starts the real app (bench/server.ts), or another server script of this folder that speaks the same IPC, in a
 * child process, so the load generator and the server do not share one event loop, and the server's memory can
 * be read from /proc.
 */
export async function startServer(
  env: Record<string, string> = {},
  script = 'server.ts',
): Promise<ServerChild> {
  const child = fork(path.join(__dirname, script), [], {
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server (open it in Chrome DevTools).
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
    ],
    env: { ...process.env, BENCH_DATABASE_URL: databaseUrl(), ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start within 60 s')), 60_000);
    child.once('message', (m: { port?: number; error?: string }) => {
      clearTimeout(timer);
      if (m.port) resolve(m.port);
      else reject(new Error(`server failed: ${m.error}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    port,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ stop: true });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The child's side of startServer: listens on 127.0.0.1 on a free port, tells the parent which, and closes when
 * the parent says stop or goes away. The parent's other messages go to `onMessage`.
 */
export async function serveParent(
  app: Pick<FastifyInstance, 'listen' | 'close' | 'server'>,
  onMessage: (message: Record<string, unknown>) => void = () => undefined,
) {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  process.on('message', (message: Record<string, unknown>) => {
    if (!message.stop) return onMessage(message);
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

/** Tells startServer, which is waiting for the port, that the child could not start. */
export function failStart(err: unknown): never {
  process.send?.({ error: err instanceof Error ? err.stack : String(err) });
  console.error(err);
  process.exit(1);
}

/** Machine facts printed with every result. */
export function machineFacts(extra: Record<string, string> = {}): string {
  const cpus = os.cpus();
  const facts = {
    date: new Date().toISOString(),
    cpus: `${os.availableParallelism()} × ${cpus[0]?.model ?? 'unknown'}`,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB total, ${(os.freemem() / 1024 ** 3).toFixed(1)} GiB free`,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    node: process.version,
    ...extra,
  };
  return Object.entries(facts)
    .map(([k, v]) => `${k.padEnd(10)} ${v}`)
    .join('\n');
}

/** A fixed-width text table. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '–');

/**
 * Runs psql's `\copy` (or any one command) on a database of the benchmark server, sampling psql's RSS every
 * 100 ms; resolves with the time it took, the rows COPY reported and psql's peak RSS. psql's own output is the
 * database's bulk path with no API in between: the baseline the import and export benchmarks compare with.
 */
export function psqlCopy(
  database: string,
  command: string,
): Promise<{ seconds: number; rows: number; peak: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      'psql',
      ['-X', '-h', PG_HOST, '-p', String(PG_PORT), '-U', PG_USER, '-d', database, '-c', command],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    let peak = 0;
    const sampler = setInterval(() => {
      try {
        const rss = rssOf(child.pid!);
        if (Number.isFinite(rss)) peak = Math.max(peak, rss);
      } catch {
        // psql has exited
      }
    }, 100);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => {
      clearInterval(sampler);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`psql exited with ${code}: ${out}`));
      resolve({
        seconds: (performance.now() - t0) / 1000,
        rows: Number(/COPY (\d+)/.exec(out)?.[1] ?? NaN),
        peak,
      });
    });
  });
}

/** Runs one statement on the benchmark server's maintenance database (CREATE or DROP DATABASE, say). */
export async function maintenanceQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
