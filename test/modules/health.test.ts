import { createTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

test('GET /healthz answers 200 {status: ok}', async () => {
  const res = await t.http.get('/healthz').expect(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual({ status: 'ok' });
});

test('GET /readyz answers 200 with the driver in use', async () => {
  const res = await t.http.get('/readyz').expect(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual({ status: 'ok', database: t.database.driver });
  expect(['pglite', 'postgres']).toContain(t.database.driver);
});

describe('once the database is gone', () => {
  let down: TestApp;
  beforeAll(async () => {
    down = await createTestApp();
    // The harness closes the database again when it drops it, and the server driver refuses a second close;
    // closing once here keeps the cleanup (and the drop of this file's database) working on both drivers.
    const close = down.database.close.bind(down.database);
    let closed: Promise<void> | undefined;
    down.database.close = () => (closed ??= close());
    await down.database.close();
  });
  afterAll(() => down.close());

  test('GET /readyz answers 503 problem+json', async () => {
    const res = await down.http.get('/readyz').expect(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual({
      type: '/problems/unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The database is not reachable.',
      instance: '/readyz',
      request_id: res.headers['x-request-id'],
    });
  });

  test('GET /healthz still answers 200: liveness does not depend on the database', async () => {
    await down.http.get('/healthz').expect(200, { status: 'ok' });
  });
});
