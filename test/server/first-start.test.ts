import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LOCK_FILE } from '../../src/db/data-dir-lock';
import { createTestDatabase, serverUrl, urlFor, type TestDatabase } from '../helpers/database';
import { startServerProcess, type ServerProcess } from '../faults/server-process';

/**
 * The first start of a new install, as a person meets it: the server creates an admin key and prints it once,
 * a write with it works, and the next start creates none. On the embedded database the data directory is locked
 * by the server, a second server is refused with the holder's PID, and `npm run keys` goes through the running
 * server's API or says to stop it.
 */

// Each test starts real server processes (the first one creates the embedded database): minutes on a busy machine.
jest.setTimeout(300_000);

const KEY = /cbk_[A-Za-z0-9_-]{43}/g;
const ROOT = path.resolve(__dirname, '../..');

let dataDir: string;
/** The key the first start printed. */
let firstKey: string;
let serverDb: TestDatabase | undefined;
const started: ServerProcess[] = [];

/** The server on this run's database: a fresh migrated server database, or PGlite in a fresh directory. */
const databaseEnv = (): NodeJS.ProcessEnv =>
  serverDb ? { DATABASE_URL: serverDb.url } : { DATABASE_URL: '', DATA_DIR: dataDir };

async function start(env: NodeJS.ProcessEnv = {}) {
  // Without load shedding: on a busy machine a 503 would stand in for the answer under test.
  const server = await startServerProcess({
    ...databaseEnv(),
    ADMIN_API_KEY: '',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  });
  started.push(server);
  return server;
}

async function stop(server: ServerProcess) {
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
}

/** Runs a command of the project (`npx tsx …`) and resolves with its exit code and output. */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'corroborate-first-start-'));
  if (serverUrl) serverDb = await createTestDatabase();
});

afterAll(async () => {
  for (const server of started) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  await serverDb?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

test('the first start prints an admin key once; a write with it works; the next start makes none', async () => {
  const first = await start();
  await first.waitForOutput(/Documentation: /);
  const keys = first.output().match(KEY) ?? [];
  // Shown in the announcement and in the two commands that use it: one key.
  expect(new Set(keys).size).toBe(1);
  const key = keys[0]!;
  expect(first.output()).toContain(`Authorization: Bearer ${key}`);
  const base = `http://127.0.0.1:${first.port}`;
  const created = await fetch(`${base}/v1/sources`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'First write', kind: 'ngo' }),
  });
  expect(created.status).toBe(201);
  const listed = (await (
    await fetch(`${base}/v1/api-keys`, { headers: { authorization: `Bearer ${key}` } })
  ).json()) as { data: { role: string; created_by: string; prefix: string }[] };
  expect(listed.data).toEqual([expect.objectContaining({ role: 'admin', created_by: 'system' })]);
  // Only the hash is stored: the secret appears nowhere in what the API answers.
  expect(JSON.stringify(listed)).not.toContain(key);
  expect(key.startsWith(listed.data[0]!.prefix)).toBe(true);
  await stop(first);

  const second = await start();
  expect(second.output().match(KEY)).toBeNull();
  await stop(second);
  firstKey = key;
});

test('with ADMIN_API_KEY, that key is stored and none is made up', async () => {
  const given = `cbk_${'A'.repeat(43)}`;
  const server = await start({ ADMIN_API_KEY: given });
  expect(server.output().match(KEY)).toBeNull();
  const res = await fetch(`http://127.0.0.1:${server.port}/v1/api-keys`, {
    headers: { authorization: `Bearer ${given}` },
  });
  const listed = (await res.json()) as { data: { name: string }[] };
  expect(listed.data.map((k) => k.name)).toEqual(['first admin key', 'ADMIN_API_KEY']);
  await stop(server);
});

(serverUrl ? test : test.skip)(
  'a DATABASE_URL naming a missing database gets one line saying how to create it',
  async () => {
    const missing = urlFor(`corroborate_missing_${process.pid}`);
    const { code, output } = await run([path.join(ROOT, 'src/server.ts')], {
      DATABASE_URL: missing,
      PORT: '0',
      LOG_LEVEL: 'info',
    });
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^The database "corroborate_missing_${process.pid}" does not exist .*: create it with \`createdb -h .* corroborate_missing_${process.pid}\`, then start again\\.$`,
        ),
      ),
    ]);
  },
);

// The lock concerns the embedded database only.
(serverUrl ? describe.skip : describe)('the embedded data directory', () => {
  let server: ServerProcess;
  let key: string;
  const dir = () => dataDir;

  beforeAll(async () => {
    key = firstKey;
    server = await start();
    // Logged once the server has written its URL into the lock.
    await server.waitForOutput(/Corroborate API listening/);
  });

  afterAll(async () => {
    if (server.child.exitCode === null) await stop(server);
  });

  test('the server holds a lock naming its PID and URL; a second server is refused with that PID', async () => {
    const lock = JSON.parse(await readFile(path.join(dir(), LOCK_FILE), 'utf8')) as {
      pid: number;
      url: string;
    };
    expect(lock).toMatchObject({ pid: server.child.pid, url: `http://127.0.0.1:${server.port}` });
    const second = await run([path.join(ROOT, 'src/server.ts')], {
      DATABASE_URL: '',
      DATA_DIR: dir(),
      PORT: '0',
    });
    expect(second.code).toBe(1);
    expect(second.output.trim()).toBe(
      `The embedded database in ${dir()} is in use by process ${server.child.pid} (server at http://127.0.0.1:${server.port}); two processes on one data directory would corrupt it. Stop that process first, or use the running server's API.`,
    );
  });

  test('npm run keys does not open the directory while the server has it: it says so, or uses the API', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: dir(), CORROBORATE_KEY: '' };
    const refused = await run(['scripts/keys.ts', 'list'], env);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`is open by process ${server.child.pid} (server at`);
    expect(refused.output).toContain('stop that process');

    const created = await run(
      ['scripts/keys.ts', 'create', '--role', 'contributor', '--name', 'Partner X', '--key', key],
      env,
    );
    expect(created.code).toBe(0);
    const secret = /secret \(shown once, store it now\): (cbk_\S+)/.exec(created.output)![1]!;
    const listed = await run(['scripts/keys.ts', 'list', '--key', key], env);
    expect(listed.output).toMatch(/contributor\s+cbk_\S+…\s+Partner X/);
    const write = await fetch(`http://127.0.0.1:${server.port}/v1/sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Written with the new key', kind: 'ngo' }),
    });
    expect(write.status).toBe(201);
  });

  test('once the server stops, the lock is gone and the keys command opens the directory itself', async () => {
    await stop(server);
    await expect(readFile(path.join(dir(), LOCK_FILE))).rejects.toThrow(/ENOENT/);
    const listed = await run(['scripts/keys.ts', 'list'], { DATABASE_URL: '', DATA_DIR: dir() });
    expect(listed.code).toBe(0);
    expect(listed.output).toMatch(/admin\s+cbk_\S+…\s+first admin key/);
    expect(listed.output).toMatch(/contributor\s+cbk_\S+…\s+Partner X/);
  });
});
