import { sql } from 'drizzle-orm';
import { queryRows } from '../../../src/db/client';
import { hashSecret } from '../../../src/http/access';
import { createServices } from '../../../src/services';
import { createTestDatabase, serverUrl, type TestDatabase } from '../../helpers/database';

let t: TestDatabase;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(() => t.drop());

const storedKeys = (db: TestDatabase['database']['db']) =>
  queryRows<{ role: string; secret_hash: string; prefix: string }>(
    db,
    sql`SELECT role, secret_hash, prefix FROM api_keys`,
  );

test('a database with no key gets one admin key, stored as its hash; the next start gets none', async () => {
  const keys = createServices(t.database.db).apiKeys;
  const first = await keys.createFirstAdmin();
  expect(first).toMatchObject({ role: 'admin', created_by: 'system', revoked_at: null });
  const stored = await storedKeys(t.database.db);
  expect(stored).toEqual([
    { role: 'admin', secret_hash: hashSecret(first!.secret), prefix: first!.secret.slice(0, 12) },
  ]);
  expect(JSON.stringify(stored)).not.toContain(first!.secret);
  expect(await keys.createFirstAdmin()).toBeUndefined();
  expect(await storedKeys(t.database.db)).toHaveLength(1);
});

test('a database holding only a revoked key gets none: it is not a new install', async () => {
  const keys = createServices(t.database.db).apiKeys;
  const created = await keys.create({ name: 'old', role: 'reader' });
  await keys.revoke(created.id);
  expect(await keys.createFirstAdmin()).toBeUndefined();
});

(serverUrl ? test : test.skip)(
  'instances starting together on one server make one key between them',
  async () => {
    const keys = createServices(t.database.db).apiKeys;
    const made = await Promise.all(Array.from({ length: 6 }, () => keys.createFirstAdmin()));
    expect(made.filter(Boolean)).toHaveLength(1);
    expect(await storedKeys(t.database.db)).toHaveLength(1);
  },
);
