import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { openPostgres, queryRows, wrapPglite, type Database, type Db } from '../../src/db/client';
import { listsFromTablesText } from '../../src/modules/incidents/incident-lists';

/** The server the suite runs against, when one is configured; otherwise the suite uses embedded PGlite. */
export const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;

/** Names of this run's migrated template (server) and snapshot (PGlite), chosen by the global setup. */
export function runTemplates() {
  const run = process.env.CORROBORATE_TEST_RUN;
  if (!run) throw new Error('the jest global setup did not run');
  return {
    database: `corroborate_template_${run}`,
    snapshot: path.resolve(__dirname, `../../.test-cache/pglite-${run}.tar.gz`),
  };
}

export function urlFor(database: string, base = serverUrl!): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs one statement on the server's maintenance connection. */
export async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  database: Database;
  /** Where a second connection can reach the same data (server only). */
  url?: string;
  drop(): Promise<void>;
}

/**
 * A database of its own for one test file, already migrated: a copy of the migrated template on the server,
 * or a PGlite instance loaded from the migrated snapshot.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (serverUrl) {
    const name = `corroborate_test_${randomUUID().replace(/-/g, '')}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${runTemplates().database}`);
        break;
      } catch (err) {
        // Two files copying the template at the same instant can collide; the copy is retried.
        if (attempt >= 10 || !String((err as Error).message).includes('being accessed by other users'))
          throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
    const url = urlFor(name);
    const database = openPostgres({ url, poolMax: 25 });
    return {
      database,
      url,
      async drop() {
        await database.close();
        await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }
  const snapshot = new Blob([await readFile(runTemplates().snapshot)]);
  const client = await PGlite.create({ loadDataDir: snapshot });
  const database = wrapPglite(client);
  return { database, drop: () => database.close() };
}

/**
 * Incidents whose lists stored on the record differ from the entries of their list tables, as text: order,
 * keys and spacing included, since exports copy the stored text out as it is. Empty when they agree.
 */
export async function listDrift(db: Db): Promise<{ id: string; stored: string; tables: string }[]> {
  const tables = listsFromTablesText('i.id');
  return queryRows(
    db,
    sql.raw(`SELECT id, stored::text, tables::text FROM (
      SELECT i.id,
             json_build_array(i.actors, i.tags, i.external_ids) AS stored,
             json_build_array(${tables.actors}, ${tables.tags}, ${tables.externalIds}) AS tables
      FROM incidents i) d
    WHERE stored::text IS DISTINCT FROM tables::text`),
  );
}
