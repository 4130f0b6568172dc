import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { newSecret } from '../../src/modules/api-keys/api-key-service';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/** Starts the real server process and resolves with its port once it listens. */
function startServer(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../../src/server.ts')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DEMO_DATA: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 45_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
}

let dataDir: string;
let serverDb: TestDatabase | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'corroborate-shutdown-'));
  if (process.env.TEST_DATABASE_URL || process.env.DATABASE_URL) serverDb = await createTestDatabase();
});

afterAll(async () => {
  await serverDb?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

test('SIGTERM lets an in-flight request finish, refuses new connections and exits cleanly', async () => {
  const adminKey = newSecret();
  const env: NodeJS.ProcessEnv = {
    ADMIN_API_KEY: adminKey,
    ...(serverDb ? { DATABASE_URL: serverDb.url } : { DATABASE_URL: '', DATA_DIR: dataDir }),
  };
  const { child, port, output } = await startServer(env);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  // Headers are sent, the body is not yet: the request is in flight when the signal arrives.
  const body = JSON.stringify({ name: 'In-flight monitor', kind: 'monitor' });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/sources',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${adminKey}`,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => req.end(body.slice(10)), 500);
    }, 300);
  });

  const answered = await response;
  expect(answered.status).toBe(201);
  expect(JSON.parse(answered.body)).toMatchObject({ name: 'In-flight monitor', kind: 'monitor', version: 1 });

  expect(await exited).toBe(0);
  expect(output()).toMatch(/shutting down/);

  // The port no longer accepts connections.
  await expect(
    new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/healthz' }, resolve);
      req.on('error', reject);
    }),
  ).rejects.toThrow(/ECONNREFUSED/);
});
