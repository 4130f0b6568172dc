import supertest from 'supertest';
import { buildApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Database } from '../../src/db/client';
import type { Role } from '../../src/http/access';
import { createServices } from '../../src/services';
import { createTestDatabase } from './database';

export interface TestKey {
  id: string;
  secret: string;
}

export interface TestApp {
  app: App;
  database: Database;
  /** A second connection string to the same database (server only), for tests that need their own client. */
  url: string | undefined;
  /** An HTTP client that sends the admin key with every request. */
  http: ReturnType<typeof supertest.agent>;
  /** An HTTP client with no key at all. */
  anonymous: ReturnType<typeof supertest>;
  /** The admin key `http` sends; history records its id as the actor. */
  admin: TestKey;
  /** A new key with the given role, and a client that sends it. */
  as(
    role: Exclude<Role, 'anonymous'>,
    name?: string,
  ): Promise<{ key: TestKey; http: ReturnType<typeof supertest.agent> }>;
  close(): Promise<void>;
}

/**
 * The real app over HTTP on a fresh, migrated database of its own. Rate limits are lifted and load shedding is
 * off unless a test sets them.
 */
export async function createTestApp(env: NodeJS.ProcessEnv = {}): Promise<TestApp> {
  const { database, url, drop } = await createTestDatabase();
  const config = loadConfig({
    DEMO_DATA: 'false',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    // Load shedding is off unless a test turns it on: a busy test machine would trip it at random.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  });
  const app = await buildApp({ config, database, logger: false, verifyResponses: true });
  await app.ready();
  const keys = createServices(database.db).apiKeys;
  const as = async (role: Exclude<Role, 'anonymous'>, name = `${role} key`) => {
    const created = await keys.create({ name, role });
    const key = { id: created.id, secret: created.secret };
    return { key, http: supertest.agent(app.server).set('authorization', `Bearer ${key.secret}`) };
  };
  const { key: admin, http } = await as('admin', 'test admin');
  return {
    app,
    database,
    url,
    http,
    anonymous: supertest(app.server),
    admin,
    as,
    async close() {
      await app.close();
      await drop();
    },
  };
}
