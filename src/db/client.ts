import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite, type PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { readCursor } from './cursor';
import * as schema from './schema';

export type Schema = typeof schema;
/** The drizzle handle the repositories use, whichever driver is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction or the database itself: repositories accept either. */
export type Executor = Pick<Db, 'select' | 'insert' | 'update' | 'delete' | 'execute' | 'selectDistinct'>;

export const MIGRATIONS_FOLDER = path.resolve(__dirname, '../../migrations');

// Serialises migrations when several instances start against one server.
const MIGRATION_LOCK_KEY = 7_240_318_551;

export interface Database {
  readonly driver: 'pglite' | 'postgres';
  readonly db: Db;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * Reads a long result through a server-side cursor on a connection of its own (see `readCursor`). Only the
   * server has it: PGlite runs one statement at a time, so a long read there goes in short batches instead.
   */
  readCursor?(query: SQL, batchSize: number): AsyncGenerator<unknown[][], void, undefined>;
}

export interface PostgresOptions {
  url: string;
  poolMax?: number;
  applicationName?: string;
}

export function openPostgres({
  url,
  poolMax = 20,
  applicationName = 'corroborate',
}: PostgresOptions): Database {
  // JIT compilation costs more than it saves on this API's short queries (measured on the statistics queries).
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    application_name: applicationName,
    options: '-c jit=off',
  });
  // An idle client that loses its connection emits here; without a listener the process would exit.
  pool.on('error', () => undefined);
  const db = drizzlePg({ client: pool, schema, casing: 'snake_case' }) as NodePgDatabase<Schema>;
  return {
    driver: 'postgres',
    db: db as unknown as Db,
    async ping() {
      await pool.query('SELECT 1');
    },
    async migrate() {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        try {
          await migratePg(drizzlePg({ client, schema }), { migrationsFolder: MIGRATIONS_FOLDER });
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
        }
      } finally {
        client.release();
      }
    },
    async close() {
      if (!pool.ending) await pool.end();
    },
    readCursor: (query, batchSize) => readCursor(pool, query, batchSize),
  };
}

/** Wraps an open PGlite instance (embedded PostgreSQL in WebAssembly; one connection, transactions serialised). */
export function wrapPglite(client: PGlite): Database {
  const db = drizzlePglite({ client, schema, casing: 'snake_case' }) as PgliteDatabase<Schema>;
  return {
    driver: 'pglite',
    db: db as unknown as Db,
    async ping() {
      await client.query('SELECT 1');
    },
    async migrate() {
      await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}

/** PGlite keeping its files in `dataDir`, or in memory when `dataDir` is undefined. */
export async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir ? path.resolve(dataDir) : undefined);
  return wrapPglite(client);
}

export async function openDatabase(config: {
  DATABASE_URL?: string | undefined;
  DATA_DIR: string;
  DB_POOL_MAX: number;
}): Promise<Database> {
  if (config.DATABASE_URL) return openPostgres({ url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX });
  return openPglite(config.DATA_DIR);
}

/** True when the database holds no record at all, deleted ones included. */
export async function isEmpty(db: Db): Promise<boolean> {
  const [row] = await queryRows<{ empty: boolean }>(
    db,
    sql`SELECT NOT EXISTS (SELECT 1 FROM sources) AND NOT EXISTS (SELECT 1 FROM incidents) AS empty`,
  );
  return Boolean(row?.empty);
}

/** Runs raw SQL and returns its rows; both drivers answer with `{ rows }`. */
export async function queryRows<T>(db: Executor, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
