import supertest from 'supertest';
import { buildApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { openDatabase, type Database } from '../../src/db/client';
import { createServices } from '../../src/services';

export interface ServerApp {
  app: App;
  database: Database;
  /** Sends an admin key with every request. */
  http: ReturnType<typeof supertest.agent>;
  anonymous: ReturnType<typeof supertest>;
  close(): Promise<void>;
}

/**
 * The real app on a database of the PostgreSQL server reached at `url` (possibly through a proxy), opened from
 * the settings the way the server process opens it, so that pool settings such as STATEMENT_TIMEOUT_MS apply.
 */
export async function appOnServer(url: string, env: NodeJS.ProcessEnv = {}): Promise<ServerApp> {
  const config = loadConfig({
    DEMO_DATA: 'false',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    ...env,
    DATABASE_URL: url,
  });
  const database = await openDatabase(config);
  const app = await buildApp({ config, database, logger: false, verifyResponses: true });
  await app.ready();
  const admin = await createServices(database.db).apiKeys.create({ name: 'fault admin', role: 'admin' });
  return {
    app,
    database,
    http: supertest.agent(app.server).set('authorization', `Bearer ${admin.secret}`),
    anonymous: supertest(app.server),
    async close() {
      await app.close();
      await database.close();
    },
  };
}
