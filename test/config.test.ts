import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../src/config';

const DEFAULTS: Config = {
  PORT: 3000,
  HOST: '0.0.0.0',
  DATABASE_URL: undefined,
  DATA_DIR: './data',
  DB_POOL_MAX: 20,
  STATEMENT_TIMEOUT_MS: 30_000,
  LOG_LEVEL: 'info',
  DEMO_DATA: true,
  BODY_LIMIT: 1024 * 1024,
  IMPORT_BODY_LIMIT: 512 * 1024 * 1024,
  SHUTDOWN_TIMEOUT_MS: 10_000,
  MAX_EVENT_LOOP_DELAY_MS: 1000,
  ANONYMOUS_READ: true,
  RATE_LIMIT_PER_MINUTE: 1200,
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: 300,
  TRUST_PROXY: false,
  CORS_ORIGINS: [],
};

/** What loadConfig made of the environment: the config, or the problems its ConfigError listed. */
function outcome(env: NodeJS.ProcessEnv): { config: Config } | { problems: string[]; message: string } {
  try {
    return { config: loadConfig(env) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.name).toBe('ConfigError');
    return { problems: err.problems, message: err.message };
  }
}

const rejected = (...problems: string[]) => ({
  problems,
  message: `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
});

test('an empty environment gives the documented defaults', () => {
  expect(loadConfig({})).toStrictEqual(
    Object.fromEntries(Object.entries(DEFAULTS).filter(([, v]) => v !== undefined)),
  );
});

test('variables it does not know are ignored', () => {
  expect(loadConfig({ PATH: '/usr/bin', NODE_ENV: 'production', port: '1' })).toEqual(DEFAULTS);
});

test.each<[string, string, Partial<Config>]>([
  ['PORT', '8080', { PORT: 8080 }],
  ['PORT', '0', { PORT: 0 }],
  ['PORT', '65535', { PORT: 65535 }],
  ['HOST', '127.0.0.1', { HOST: '127.0.0.1' }],
  [
    'DATABASE_URL',
    'postgres://app:secret@db:5432/corroborate',
    { DATABASE_URL: 'postgres://app:secret@db:5432/corroborate' },
  ],
  [
    'DATABASE_URL',
    'postgresql://db/corroborate?sslmode=require',
    { DATABASE_URL: 'postgresql://db/corroborate?sslmode=require' },
  ],
  ['DATA_DIR', '/var/lib/corroborate', { DATA_DIR: '/var/lib/corroborate' }],
  ['DB_POOL_MAX', '5', { DB_POOL_MAX: 5 }],
  ['LOG_LEVEL', 'fatal', { LOG_LEVEL: 'fatal' }],
  ['LOG_LEVEL', 'debug', { LOG_LEVEL: 'debug' }],
  ['LOG_LEVEL', 'silent', { LOG_LEVEL: 'silent' }],
  ['DEMO_DATA', 'false', { DEMO_DATA: false }],
  ['DEMO_DATA', '0', { DEMO_DATA: false }],
  ['DEMO_DATA', 'no', { DEMO_DATA: false }],
  ['DEMO_DATA', 'true', { DEMO_DATA: true }],
  ['DEMO_DATA', '1', { DEMO_DATA: true }],
  ['DEMO_DATA', 'yes', { DEMO_DATA: true }],
  ['BODY_LIMIT', '2048', { BODY_LIMIT: 2048 }],
  ['SHUTDOWN_TIMEOUT_MS', '0', { SHUTDOWN_TIMEOUT_MS: 0 }],
  ['SHUTDOWN_TIMEOUT_MS', '30000', { SHUTDOWN_TIMEOUT_MS: 30_000 }],
  ['STATEMENT_TIMEOUT_MS', '0', { STATEMENT_TIMEOUT_MS: 0 }],
  ['STATEMENT_TIMEOUT_MS', '3600000', { STATEMENT_TIMEOUT_MS: 3_600_000 }],
  ['MAX_EVENT_LOOP_DELAY_MS', '0', { MAX_EVENT_LOOP_DELAY_MS: 0 }],
  ['MAX_EVENT_LOOP_DELAY_MS', '250', { MAX_EVENT_LOOP_DELAY_MS: 250 }],
])('%s=%s', (name, value, expected) => {
  expect(loadConfig({ [name]: value })).toEqual({ ...DEFAULTS, ...expected });
});

test.each<[string, string, string]>([
  ['PORT', 'abc', 'must be a whole number'],
  ['PORT', '70000', 'must be between 0 and 65535'],
  ['PORT', '-1', 'must be a whole number'],
  ['PORT', '80.5', 'must be a whole number'],
  ['PORT', '0x50', 'must be a whole number'],
  ['PORT', '1e3', 'must be a whole number'],
  ['DATABASE_URL', 'mysql://x', 'must be a postgres:// or postgresql:// URL'],
  ['DATABASE_URL', './data', 'must be a postgres:// or postgresql:// URL'],
  ['DB_POOL_MAX', '0', 'must be between 1 and 1000'],
  [
    'LOG_LEVEL',
    'loud',
    'Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
  ],
  [
    'LOG_LEVEL',
    'INFO',
    'Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
  ],
  ['DEMO_DATA', 'maybe', 'must be true or false'],
  ['DEMO_DATA', 'TRUE', 'must be true or false'],
  ['BODY_LIMIT', '10', 'must be between 1024 and 67108864'],
  ['BODY_LIMIT', String(128 * 1024 * 1024), 'must be between 1024 and 67108864'],
  ['SHUTDOWN_TIMEOUT_MS', '-1', 'must be a whole number'],
  ['STATEMENT_TIMEOUT_MS', '3600001', 'must be between 0 and 3600000'],
  ['STATEMENT_TIMEOUT_MS', '30s', 'must be a whole number'],
  ['MAX_EVENT_LOOP_DELAY_MS', '60001', 'must be between 0 and 60000'],
  ['MAX_EVENT_LOOP_DELAY_MS', '1.5', 'must be a whole number'],
])('%s=%s is refused, naming the variable, its value and what is wrong', (name, value, what) => {
  expect(outcome({ [name]: value })).toEqual(rejected(`${name}=${JSON.stringify(value)}: ${what}`));
});

test('every bad value is reported at once, not only the first', () => {
  expect(
    outcome({ PORT: '70000', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', DEMO_DATA: 'maybe' }),
  ).toEqual(
    rejected(
      'PORT="70000": must be between 0 and 65535',
      'DATABASE_URL="mysql://x": must be a postgres:// or postgresql:// URL',
      'LOG_LEVEL="loud": Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
      'DEMO_DATA="maybe": must be true or false',
    ),
  );
});

test('an empty string means unset, for every variable', () => {
  const empty = Object.fromEntries(Object.keys(DEFAULTS).map((name) => [name, '']));
  expect(loadConfig(empty)).toEqual(DEFAULTS);
});

test.each([
  'PORT',
  'SHUTDOWN_TIMEOUT_MS',
  'DB_POOL_MAX',
  'BODY_LIMIT',
  'STATEMENT_TIMEOUT_MS',
  'MAX_EVENT_LOOP_DELAY_MS',
])('%s of only spaces is not silently read as 0', (name) => {
  // "FOO= " is a typo, not a request for port 0 (a random port) or for no shutdown grace at all.
  const result = outcome({ [name]: '  ' });
  expect('config' in result ? result.config[name as keyof Config] : 'refused').not.toBe(0);
});

describe('the server refuses to start on a bad value', () => {
  let dataRoot: string;
  let single: { code: number | null; stdout: string; stderr: string };
  let several: { code: number | null; stdout: string; stderr: string };

  /** Runs the real entry point as an operator would, with nothing but PATH and the variables given. */
  function start(env: Record<string, string>) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['-r', 'tsx/cjs', 'src/server.ts'], {
        cwd: path.resolve(__dirname, '..'),
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // A server that started after all would listen forever; end it so the test fails instead of hanging.
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  beforeAll(async () => {
    dataRoot = await mkdtemp(path.join(os.tmpdir(), 'corroborate-config-'));
    [single, several] = await Promise.all([
      start({ PORT: 'abc', DATA_DIR: path.join(dataRoot, 'single') }),
      start({
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://x',
        DEMO_DATA: 'maybe',
        DATA_DIR: path.join(dataRoot, 'several'),
      }),
    ]);
  }, 20_000);
  afterAll(() => rm(dataRoot, { recursive: true, force: true }));

  test('PORT=abc: exit status 78 (configuration error) and a message naming PORT, no stack trace', () => {
    expect(single).toEqual({
      code: 78,
      stdout: '',
      stderr: 'Invalid configuration:\n  - PORT="abc": must be a whole number\n',
    });
  });

  test('several bad values: each is named', () => {
    expect(several).toEqual({
      code: 78,
      stdout: '',
      stderr: [
        'Invalid configuration:',
        '  - DATABASE_URL="mysql://x": must be a postgres:// or postgresql:// URL',
        '  - LOG_LEVEL="loud": Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
        '  - DEMO_DATA="maybe": must be true or false',
        '',
      ].join('\n'),
    });
  });

  test('it stops before touching the data folder', async () => {
    expect(await readdir(dataRoot)).toEqual([]);
  });
});
