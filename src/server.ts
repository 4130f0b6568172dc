import closeWithGrace from 'close-with-grace';
import { buildApp } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { isEmpty, openDatabase } from './db/client';
import { loadDemoData } from './modules/demo/demo-data';
import { createServices } from './services';

async function main(config: Config) {
  const database = await openDatabase(config);
  await database.migrate();
  if (config.ADMIN_API_KEY) await createServices(database.db).apiKeys.ensureAdmin(config.ADMIN_API_KEY);
  const app = await buildApp({ config, database });
  app.addHook('onClose', async () => database.close());

  if (config.DEMO_DATA && (await isEmpty(database.db))) {
    await loadDemoData(createServices(database.db));
    app.log.info('empty database: loaded the demo report');
  }

  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    await app.close();
  });

  await app.listen({ port: config.PORT, host: config.HOST });
  app.log.info(
    { database: database.driver, docs: `http://localhost:${config.PORT}/docs` },
    `Corroborate API listening on ${config.HOST}:${config.PORT}`,
  );
}

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  throw err;
}
main(config).catch((err: unknown) => {
  console.error('failed to start:', err);
  process.exit(1);
});
