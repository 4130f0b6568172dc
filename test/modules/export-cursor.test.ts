import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { emptyCasualties } from '../../src/domain/casualties';
import { createTestApp, type TestApp } from '../helpers/app';
import { serverUrl } from '../helpers/database';
import { asText } from '../helpers/factories';

/**
 * Exports on the server read through a cursor in a transaction of their own. A client that goes away must end
 * that transaction (and so the query), and a complete export must hold every row once. Server only: the
 * embedded database exports in keyset batches (covered in formats.test.ts).
 */

const onServer = serverUrl ? describe : describe.skip;
const ROWS = 9_000;

onServer('exports read through a server-side cursor', () => {
  let t: TestApp;
  let client: pg.Client;

  beforeAll(async () => {
    t = await createTestApp();
    client = new pg.Client({ connectionString: t.url });
    await client.connect();
    // Rows written directly: through the API this many would take minutes, and only their number matters here.
    await client.query(
      `INSERT INTO incidents (ref, title, category, occurred_from, occurred_to, casualties)
       SELECT 'XXX-2024-' || lpad(g::text, 6, '0'), 'Incident ' || g, 'battle',
              date '2024-01-01' + (g % 300), date '2024-01-01' + (g % 300), $2::jsonb
       FROM generate_series(1, $1::int) g`,
      [ROWS, JSON.stringify(emptyCasualties())],
    );
  }, 120_000);

  afterAll(async () => {
    await client.end();
    await t.close();
  });

  /** Sessions of this test's database still inside an export's cursor. */
  async function openExports(): Promise<number> {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()
         AND state <> 'idle' AND query ~ 'export_rows'`,
    );
    return Number(rows[0]!.n);
  }

  test('a complete NDJSON export holds every row once', async () => {
    const res = await t.http.get('/v1/export/incidents?format=ndjson').buffer(true).parse(asText).expect(200);
    const ids = (res.body as string)
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids).toHaveLength(ROWS);
    expect(new Set(ids).size).toBe(ROWS);
    expect(await openExports()).toBe(0);
  });

  test('a client that disconnects mid-export ends the cursor and its transaction', async () => {
    if (!t.app.server.listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    const request = http.get({
      host: '127.0.0.1',
      port,
      path: '/v1/export/incidents?format=ndjson',
      headers: { authorization: `Bearer ${t.admin.secret}` },
    });
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      request.on('response', resolve);
      request.on('error', reject);
    });
    expect(response.statusCode).toBe(200);
    // Read one chunk without consuming the rest, so the server is held up by back-pressure inside the export.
    await new Promise<void>((resolve) => response.once('data', () => resolve()));
    response.pause();
    await waitFor(async () => (await openExports()) === 1);
    request.destroy();
    await waitFor(async () => (await openExports()) === 0);
    // The connection went back to the pool usable: the API still answers.
    await t.http.get('/v1/incidents?limit=1').expect(200);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
