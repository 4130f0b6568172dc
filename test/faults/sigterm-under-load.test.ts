import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { newSecret } from '../../src/modules/api-keys/api-key-service';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { startServerProcess, STARTUP_MS, type ServerProcess } from './server-process';

const LOOPS = 6;
const IN_FLIGHT = 3;

interface Answer {
  status: number;
  contentType: string | undefined;
  retryAfter: string | undefined;
  body: Record<string, unknown>;
}

interface Outcome {
  name: string;
  startedAt: number;
  answer?: Answer;
  /** The network error's code when there was no answer. */
  error?: string;
}

/**
 * POSTs a source. With `holdBody`, only the start of the body is sent until `finish` is called, so that the
 * request is in flight on the server meanwhile.
 */
function postSource(
  port: number,
  key: string,
  name: string,
  options: { agent?: http.Agent; requestId?: string; holdBody?: boolean } = {},
): { answer: Promise<Answer>; finish(): void } {
  const body = JSON.stringify({ name, kind: 'monitor' });
  let request!: http.ClientRequest;
  const answer = new Promise<Answer>((resolve, reject) => {
    request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/sources',
        agent: options.agent ?? false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${key}`,
          ...(options.requestId ? { 'x-request-id': options.requestId } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            contentType: res.headers['content-type'],
            retryAfter: res.headers['retry-after'] as string | undefined,
            body: JSON.parse(text) as Record<string, unknown>,
          }),
        );
        res.on('error', reject);
      },
    );
    request.on('error', reject);
    // An answer that never comes fails the test instead of hanging it.
    request.setTimeout(20_000, () =>
      request.destroy(Object.assign(new Error('no answer'), { code: 'TIMEOUT' })),
    );
  });
  if (options.holdBody) {
    request.write(body.slice(0, 10));
    return { answer, finish: () => request.end(body.slice(10)) };
  }
  request.end(body);
  return { answer, finish: () => undefined };
}

function connectionRefused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, () =>
      resolve('answered'),
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
  });
}

let dataDir: string;
let serverDb: TestDatabase | undefined;
let server: ServerProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'corroborate-sigterm-'));
  if (process.env.TEST_DATABASE_URL || process.env.DATABASE_URL) serverDb = await createTestDatabase();
});

afterAll(async () => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  await serverDb?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/** The ids and names of the sources stored, read once the server has exited. */
async function storedSources(): Promise<Map<string, string>> {
  const query = 'SELECT id, name FROM sources';
  if (serverDb) {
    const client = new pg.Client({ connectionString: serverDb.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string; name: string }>(query);
      return new Map(rows.map((r) => [r.id, r.name]));
    } finally {
      await client.end();
    }
  }
  const db = await PGlite.create(dataDir);
  try {
    const { rows } = await db.query<{ id: string; name: string }>(query);
    return new Map(rows.map((r) => [r.id, r.name]));
  } finally {
    await db.close();
  }
}

test(
  'SIGTERM under a stream of writes: in-flight ones complete, new ones are refused, it exits 0',
  async () => {
    const adminKey = newSecret();
    server = await startServerProcess({
      ADMIN_API_KEY: adminKey,
      RATE_LIMIT_PER_MINUTE: '1000000',
      // Shedding under a busy machine would answer 503 too; this is about shutting down.
      MAX_EVENT_LOOP_DELAY_MS: '0',
      ...(serverDb ? { DATABASE_URL: serverDb.url } : { DATABASE_URL: '', DATA_DIR: dataDir }),
    });
    const { port } = server;

    // Clients that keep their connections open, as a balancer in front of the service does.
    const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS });
    const outcomes: Outcome[] = [];
    let running = true;
    async function loop(n: number) {
      for (let i = 0; running; i++) {
        const outcome: Outcome = { name: `Monitor ${n}.${i}`, startedAt: Date.now() };
        outcomes.push(outcome);
        try {
          outcome.answer = await postSource(port, adminKey, outcome.name, { agent }).answer;
        } catch (err) {
          outcome.error = (err as NodeJS.ErrnoException).code ?? String(err);
          // The port is closed: the server takes no more connections.
          if (outcome.error === 'ECONNREFUSED') return;
        }
      }
    }
    const loops = Array.from({ length: LOOPS }, (_, n) => loop(n));

    try {
      while (outcomes.filter((o) => o.answer?.status === 201).length < 20) {
        await new Promise((r) => setTimeout(r, 50));
      }

      // Requests the server has started on (it logged them) whose bodies are still coming.
      const inFlight = Array.from({ length: IN_FLIGHT }, (_, n) => ({
        name: `In-flight monitor ${n}`,
        ...postSource(port, adminKey, `In-flight monitor ${n}`, {
          requestId: `in-flight-${n}`,
          holdBody: true,
        }),
      }));
      for (let n = 0; n < IN_FLIGHT; n++)
        await server.waitForOutput(new RegExp(`"request_id":"in-flight-${n}"`));

      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      await server.waitForOutput(/shutting down/);
      const shutdownSeenAt = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      for (const request of inFlight) request.finish();

      for (const request of inFlight) {
        const answer = await request.answer;
        expect(answer.status).toBe(201);
        expect(answer.body).toMatchObject({ name: request.name, kind: 'monitor', version: 1 });
      }

      expect(await server.exited).toBe(0);
      running = false;
      await Promise.all(loops);

      expect(await connectionRefused(port)).toBe('ECONNREFUSED');

      // Every request of the stream got an answer or found the connection closed; none hung, none failed otherwise.
      expect(
        outcomes.filter((o) => o.error && !['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(o.error)),
      ).toEqual([]);
      const answers = outcomes.filter((o) => o.answer);
      expect(answers.filter((o) => o.answer!.status !== 201 && o.answer!.status !== 503)).toEqual([]);
      for (const refused of answers.filter((o) => o.answer!.status === 503)) {
        expect(refused.answer).toMatchObject({
          contentType: 'application/problem+json; charset=utf-8',
          retryAfter: '5',
          body: {
            type: '/problems/unavailable',
            status: 503,
            detail: 'The server is shutting down; retry shortly.',
          },
        });
      }
      // Once it is shutting down, nothing new is accepted; the stream did run into the shutdown.
      expect(outcomes.filter((o) => o.startedAt > shutdownSeenAt && o.answer?.status === 201)).toEqual([]);
      expect(outcomes.filter((o) => o.startedAt > signalledAt).length).toBeGreaterThan(0);

      // Everything acknowledged is stored.
      const stored = await storedSources();
      const acknowledged = [
        ...answers.filter((o) => o.answer!.status === 201).map((o) => o.answer!.body),
        ...(await Promise.all(inFlight.map((r) => r.answer))).map((a) => a.body),
      ];
      expect(acknowledged.length).toBeGreaterThanOrEqual(20 + IN_FLIGHT);
      expect(acknowledged.filter((b) => stored.get(String(b.id)) !== b.name)).toEqual([]);
    } finally {
      running = false;
      agent.destroy();
    }
  },
  STARTUP_MS + 60_000,
);
