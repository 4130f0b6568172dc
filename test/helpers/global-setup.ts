import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openPostgres, wrapPglite } from '../../src/db/client';
import { adminQuery, PGLITE_SNAPSHOT, serverUrl, TEMPLATE_DATABASE, urlFor } from './database';

/** Migrates one template database once; every test file then copies it, which is much faster than migrating. */
export default async function globalSetup() {
  if (serverUrl) {
    await adminQuery(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await adminQuery(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
    const template = openPostgres({ url: urlFor(TEMPLATE_DATABASE), poolMax: 1 });
    try {
      await template.migrate();
    } finally {
      await template.close();
    }
    return;
  }
  const client = await PGlite.create();
  const database = wrapPglite(client);
  await database.migrate();
  const dump = await client.dumpDataDir('gzip');
  await mkdir(path.dirname(PGLITE_SNAPSHOT), { recursive: true });
  await writeFile(PGLITE_SNAPSHOT, Buffer.from(await dump.arrayBuffer()));
  await database.close();
}
