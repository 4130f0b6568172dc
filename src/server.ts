import type { AddressInfo } from 'node:net';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { isEmpty, openDatabase, startupFailure, type Database } from './db/client';
import { loadDemoData } from './modules/demo/demo-data';
import { createServices } from './services';

/** Where a client on this machine reaches a server listening on this address. */
function localUrl(address: AddressInfo): string {
  const unspecified = ['0.0.0.0', '::', ''].includes(address.address);
  const host = unspecified ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/** The first admin key, shown this once with how to use it: only its hash is stored. */
function announceFirstKey(secret: string, url: string) {
  const lines = [
    '',
    'The database held no API key, so an admin key was created. It is shown only now (the API keeps its hash):',
    '',
    `    ${secret}`,
    '',
    'Write with it, and create keys for others:',
    `    curl -H 'Authorization: Bearer ${secret}' ${url}/v1/api-keys`,
    `    npm run keys -- create --role contributor --name "Partner X" --key ${secret}`,
    `Documentation: ${url}/docs`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(config: Config, database: Database) {
  await database.migrate();
  const keys = createServices(database.db).apiKeys;
  let firstKey: string | undefined;
  if (config.ADMIN_API_KEY) await keys.ensureAdmin(config.ADMIN_API_KEY);
  else firstKey = (await keys.createFirstAdmin())?.secret;
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
  const url = localUrl(app.server.address() as AddressInfo);
  // Commands that find the embedded database in use reach this server instead (see scripts/keys.ts).
  database.dataDirLock?.setUrl(url);
  app.log.info(
    { database: database.driver, docs: `${url}/docs` },
    `Corroborate API listening on ${config.HOST}:${config.PORT}`,
  );
  if (firstKey) announceFirstKey(firstKey, url);
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

/** A failure to open the database that a person can fix gets one line saying how; anything else in full. */
function fail(err: unknown): never {
  const explained = startupFailure(err, config);
  if (explained) console.error(explained);
  else console.error('failed to start:', err);
  process.exit(1);
}

openDatabase(config).then(
  (database) =>
    main(config, database).catch(async (err: unknown) => {
      await database.close().catch(() => undefined);
      fail(err);
    }),
  fail,
);
