import { rm } from 'node:fs/promises';
import { adminQuery, runTemplates, serverUrl } from './database';

export default async function globalTeardown() {
  const { database, snapshot } = runTemplates();
  if (serverUrl) await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await rm(snapshot, { force: true });
}
