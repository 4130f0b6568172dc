import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { acquireDataDirLock, DataDirInUseError, LOCK_FILE, lockHolder } from '../../src/db/data-dir-lock';
import { startupFailure } from '../../src/db/client';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'corroborate-lock-unit-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const lockFile = () => path.join(dir, LOCK_FILE);

/** The id of a process that has exited: a lock naming it is stale. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

test('a lock names its process; a second taker is refused with that PID; release gives it back', async () => {
  const lock = acquireDataDirLock(dir, 'server');
  lock.setUrl('http://127.0.0.1:3000');
  const written = JSON.parse(await readFile(lockFile(), 'utf8'));
  expect(written).toMatchObject({ pid: process.pid, command: 'server', url: 'http://127.0.0.1:3000' });
  expect(lockHolder(dir)).toMatchObject({ pid: process.pid });
  expect(() => acquireDataDirLock(dir, 'npm run keys')).toThrow(DataDirInUseError);
  lock.release();
  expect(lockHolder(dir)).toBeUndefined();
  acquireDataDirLock(dir, 'npm run keys').release();
});

test('a lock held by another running process is refused, naming it', async () => {
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    await writeFile(lockFile(), JSON.stringify({ pid: holder.pid, command: 'server', started_at: 'x' }));
    expect(() => acquireDataDirLock(dir, 'server')).toThrow(
      `The embedded database in ${dir} is in use by process ${holder.pid} (server)`,
    );
    // Refused without touching it.
    expect(JSON.parse(await readFile(lockFile(), 'utf8')).pid).toBe(holder.pid);
  } finally {
    holder.kill('SIGKILL');
  }
});

test('the stale lock of a dead process, or an unreadable one, is taken over', async () => {
  const pid = deadPid();
  await writeFile(lockFile(), JSON.stringify({ pid, command: 'server', started_at: 'x' }));
  expect(lockHolder(dir)).toBeUndefined();
  const lock = acquireDataDirLock(dir, 'server');
  expect(JSON.parse(await readFile(lockFile(), 'utf8')).pid).toBe(process.pid);
  lock.release();

  await writeFile(lockFile(), '{"pid":');
  acquireDataDirLock(dir, 'server').release();
});

describe('startup failures a person can fix get one line', () => {
  const url = 'postgres://corroborate@db.example:5433/incidents';
  test('a missing database says how to create it', () => {
    const err = Object.assign(new Error('database "incidents" does not exist'), { code: '3D000' });
    expect(startupFailure(new Error('wrapped', { cause: err }), { DATABASE_URL: url })).toBe(
      'The database "incidents" does not exist on the PostgreSQL server at db.example:5433: create it with `createdb -h db.example -p 5433 -U corroborate incidents`, then start again.',
    );
  });
  test('a refused login and an unreachable server', () => {
    const login = Object.assign(new Error('password authentication failed'), { code: '28P01' });
    expect(startupFailure(login, { DATABASE_URL: url })).toBe(
      'The PostgreSQL server at db.example:5433 refused the login of "corroborate" to "incidents": check the user and password in DATABASE_URL.',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(startupFailure(refused, { DATABASE_URL: url })).toBe(
      'No PostgreSQL server answers at db.example:5433 (ECONNREFUSED): start it, or correct DATABASE_URL.',
    );
  });
  test('anything else is not explained away', () => {
    expect(startupFailure(new Error('disk full'), { DATABASE_URL: url })).toBeUndefined();
    expect(startupFailure(new Error('disk full'), {})).toBeUndefined();
  });
});
