import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';
import { openPglite } from '../src/db/client';

/**
 * The OpenAPI document as the committed file holds it. Building the app needs a database handle but
 * generating the document runs no query, so an empty in-memory one serves.
 */
export async function generateOpenApiDocument(): Promise<string> {
  const database = await openPglite();
  const app = await buildApp({ config: loadConfig({}), database, logger: false });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
    await database.close();
  }
}
