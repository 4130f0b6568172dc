import { createTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

test('creates and reads a source', async () => {
  const created = await t.http.post('/v1/sources').send({ name: 'Monitor', kind: 'monitor' }).expect(201);
  expect(created.body).toMatchObject({ name: 'Monitor', kind: 'monitor', reliability: 'F', version: 1 });
  const read = await t.http.get(`/v1/sources/${created.body.id}`).expect(200);
  expect(read.body).toEqual(created.body);
});
