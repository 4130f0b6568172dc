/** Applies pending migrations to the configured database (DATABASE_URL, or PGlite in DATA_DIR) and exits. */
import { loadConfig } from '../src/config';
import { openDatabase, startupFailure } from '../src/db/client';

async function main() {
  const config = loadConfig();
  const database = await openDatabase(config, 'npm run migrate');
  try {
    await database.migrate();
    console.log(`migrations applied (${database.driver})`);
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(startupFailure(err, process.env) ?? (err instanceof Error ? err.message : err));
  process.exit(1);
});
