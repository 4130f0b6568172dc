import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openPostgres, wrapPglite } from '../../src/db/client';
import { adminQuery, runTemplates, serverUrl, urlFor } from './database';

/**
 * Migrates one template once per run; every test file then copies it, which is much faster than migrating.
 * Names are per run, so that several runs can share a server.
 */
export default async function globalSetup() {
  process.env.CORROBORATE_TEST_RUN = randomBytes(6).toString('hex');
  const { database: template, snapshot } = runTemplates();
  if (serverUrl) {
    await adminQuery(`CREATE DATABASE ${template}`);
    const database = openPostgres({ url: urlFor(template), poolMax: 1 });
    try {
      await database.migrate();
    } finally {
      await database.close();
    }
    return;
  }
  const client = await PGlite.create();
  const database = wrapPglite(client);
  await database.migrate();
  const dump = await client.dumpDataDir('gzip');
  await mkdir(path.dirname(snapshot), { recursive: true });
  await writeFile(snapshot, Buffer.from(await dump.arrayBuffer()));
  await database.close();
}
