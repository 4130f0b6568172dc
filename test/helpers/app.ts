import supertest from 'supertest';
import { buildApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Database } from '../../src/db/client';
import { createTestDatabase } from './database';

export interface TestApp {
  app: App;
  database: Database;
  /** A second connection string to the same database (server only), for tests that need their own client. */
  url: string | undefined;
  http: ReturnType<typeof supertest>;
  close(): Promise<void>;
}

/** The real app over HTTP on a fresh, migrated database of its own. */
export async function createTestApp(env: NodeJS.ProcessEnv = {}): Promise<TestApp> {
  const { database, url, drop } = await createTestDatabase();
  const config = loadConfig({ DEMO_DATA: 'false', ...env });
  const app = await buildApp({ config, database, logger: false });
  await app.ready();
  return {
    app,
    database,
    url,
    http: supertest(app.server),
    async close() {
      await app.close();
      await drop();
    },
  };
}
