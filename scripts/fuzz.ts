/**
 * The contract fuzz test (test/fuzz) at any length:
 *   npm run fuzz                                 as CI runs it: 2000 requests, the fixed seed
 *   npm run fuzz -- --runs 20000                 a long run
 *   npm run fuzz -- --runs 5000 --seed 42        another seed, e.g. to replay one a run printed
 * Set TEST_DATABASE_URL to run it against a PostgreSQL server instead of the embedded database.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';

const usage = 'usage: npm run fuzz -- [--runs N] [--seed N]';

function positive(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new Error(`--${name} must be a positive integer, not ${value}\n${usage}`);
  }
  return value;
}

function main() {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, seed: { type: 'string' } } });
  const env = { ...process.env };
  const runs = positive('runs', values.runs);
  const seed = positive('seed', values.seed);
  if (runs) env.FUZZ_RUNS = runs;
  if (seed) env.FUZZ_SEED = seed;
  const root = path.resolve(__dirname, '..');
  const jest = spawn(process.execPath, [require.resolve('jest/bin/jest'), 'test/fuzz'], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  jest.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

try {
  main();
} catch (err: unknown) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
}
