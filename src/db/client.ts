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
import { acquireDataDirLock, DataDirInUseError, type DataDirLock } from './data-dir-lock';
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
  /** The embedded database's lock on its data directory (see data-dir-lock.ts), held until `close`. */
  readonly dataDirLock?: DataDirLock;
}

export interface PostgresOptions {
  url: string;
  poolMax?: number;
  applicationName?: string;
  /** The server cancels any statement running longer (`statement_timeout`); unset or 0: no limit. */
  statementTimeoutMs?: number;
}

/**
 * How long a request may wait for a connection, whether a new one or a free one from a full pool. Without a
 * bound, a request made while the server is unreachable could wait as long as the operating system lets a
 * connection attempt run.
 */
const CONNECT_TIMEOUT_MS = 5_000;

export function openPostgres({
  url,
  poolMax = 20,
  applicationName = 'corroborate',
  statementTimeoutMs,
}: PostgresOptions): Database {
  // JIT compilation costs more than it saves on this API's short queries (measured on the statistics queries).
  const settings = ['-c jit=off'];
  if (statementTimeoutMs) settings.push(`-c statement_timeout=${statementTimeoutMs}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    application_name: applicationName,
    options: settings.join(' '),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // A client that loses its connection emits 'error', and an 'error' nobody listens to ends the process. The
  // pool listens only while a client is idle (and re-emits here); a client in use needs a listener of its own.
  // Its query fails in any case (answered 503), and the pool discards the broken client once it is released.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzlePg({ client: pool, schema, casing: 'snake_case' }) as NodePgDatabase<Schema>;
  // On a pool, drizzle sends BEGIN before entering the block that hands the client back, so a connection that
  // breaks at that moment is never returned (drizzle-orm issue 6241), and a few outages leave no connection at
  // all. Transactions therefore take their client here, run on it, and always give it back.
  const onClient = new WeakMap<pg.PoolClient, NodePgDatabase<Schema>>();
  db.transaction = async (run, config) => {
    const client = await pool.connect();
    let broken = false;
    try {
      let clientDb = onClient.get(client);
      if (!clientDb) {
        clientDb = drizzlePg({ client, schema, casing: 'snake_case' });
        onClient.set(client, clientDb);
      }
      return await clientDb.transaction(run, config);
    } catch (err) {
      broken = databaseFailure(err) === 'unavailable';
      throw err;
    } finally {
      // A connection that failed is closed rather than reused.
      client.release(broken);
    }
  };
  return {
    driver: 'postgres',
    db: db as unknown as Db,
    async ping() {
      await pool.query('SELECT 1');
    },
    async migrate() {
      const client = await pool.connect();
      try {
        // A migration may rewrite a large table, or wait for another instance's: it runs without a time limit.
        await client.query('SET statement_timeout = 0');
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        try {
          await migratePg(drizzlePg({ client, schema }), { migrationsFolder: MIGRATIONS_FOLDER });
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
        }
      } finally {
        // The connection keeps the setting above, so it is closed rather than handed back to the pool.
        client.release(true);
      }
    },
    async close() {
      if (!pool.ending) await pool.end();
    },
    readCursor: (query, batchSize) => readCursor(pool, query, batchSize),
  };
}

/** Wraps an open PGlite instance (embedded PostgreSQL in WebAssembly; one connection, transactions serialised). */
export function wrapPglite(client: PGlite, dataDirLock?: DataDirLock): Database {
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
      try {
        if (!client.closed) await client.close();
      } finally {
        dataDirLock?.release();
      }
    },
    ...(dataDirLock ? { dataDirLock } : {}),
  };
}

/**
 * PGlite keeping its files in `dataDir`, or in memory when `dataDir` is undefined. A data directory is locked for
 * this process first (`command` says what holds it); another process holding it is refused with
 * `DataDirInUseError`.
 */
export async function openPglite(dataDir?: string, command = 'server'): Promise<Database> {
  if (!dataDir) return wrapPglite(await PGlite.create());
  await mkdir(dataDir, { recursive: true });
  const lock = acquireDataDirLock(dataDir, command);
  try {
    return wrapPglite(await PGlite.create(path.resolve(dataDir)), lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

export async function openDatabase(
  config: {
    DATABASE_URL?: string | undefined;
    DATA_DIR: string;
    DB_POOL_MAX: number;
    STATEMENT_TIMEOUT_MS: number;
  },
  command = 'server',
): Promise<Database> {
  if (config.DATABASE_URL) {
    return openPostgres({
      url: config.DATABASE_URL,
      poolMax: config.DB_POOL_MAX,
      statementTimeoutMs: config.STATEMENT_TIMEOUT_MS,
    });
  }
  // PGlite runs one statement at a time in this process and has no statement timeout.
  return openPglite(config.DATA_DIR, command);
}

/** The parts of a postgres:// URL a person types on a command line. */
function serverOf(url: string) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname || 'localhost',
    port: parsed.port || '5432',
    user: decodeURIComponent(parsed.username) || undefined,
    database:
      decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username) || 'postgres',
  };
}

const shellWord = (word: string) =>
  /^[\w.@%+=:,/-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * One line saying why the database could not be opened at start, and what to do, for the failures a person
 * setting the service up meets (a database not created yet, a server not running, a wrong password, a data
 * directory in use); undefined for anything else, which is reported whole.
 */
export function startupFailure(
  err: unknown,
  config: { DATABASE_URL?: string | undefined },
): string | undefined {
  if (err instanceof DataDirInUseError) return err.message;
  if (!config.DATABASE_URL) return undefined;
  const { host, port, user, database } = serverOf(config.DATABASE_URL);
  const where = `${host}:${port}`;
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    if (code === '3D000') {
      const createdb = ['createdb', '-h', host, '-p', port, ...(user ? ['-U', user] : []), database]
        .map(shellWord)
        .join(' ');
      return `The database "${database}" does not exist on the PostgreSQL server at ${where}: create it with \`${createdb}\`, then start again.`;
    }
    if (code === '28P01' || code === '28000') {
      return `The PostgreSQL server at ${where} refused the login${user ? ` of "${user}"` : ''} to "${database}": check the user and password in DATABASE_URL.`;
    }
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ETIMEDOUT') {
      return `No PostgreSQL server answers at ${where} (${code}): start it, or correct DATABASE_URL.`;
    }
    e = cause;
  }
  return undefined;
}

/** True when the database holds no record at all, deleted ones included. */
export async function isEmpty(db: Db): Promise<boolean> {
  const [row] = await queryRows<{ empty: boolean }>(
    db,
    sql`SELECT NOT EXISTS (SELECT 1 FROM sources) AND NOT EXISTS (SELECT 1 FROM incidents) AS empty`,
  );
  return Boolean(row?.empty);
}

/**
 * Runs several reads on one snapshot (a read-only, repeatable-read transaction), so that they agree with each
 * other however the data changes meanwhile: a page and the count of its list, say.
 */
export function readTogether<T>(db: Db, run: (tx: Executor) => Promise<T>): Promise<T> {
  return db.transaction(run, { isolationLevel: 'repeatable read', accessMode: 'read only' });
}

/** Runs raw SQL and returns its rows; both drivers answer with `{ rows }`. */
export async function queryRows<T>(db: Executor, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/** What a failed query says about the database rather than the request: unreachable, or too slow. */
export type DatabaseFailure = 'unavailable' | 'timeout';

// SQLSTATEs of a server that cannot serve: connection exceptions (class 08), shutting down (57P01, 57P02),
// starting up or shutting down (57P03), out of connections (53300).
const UNAVAILABLE_STATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
// 57014 query_canceled: the statement ran into statement_timeout.
const QUERY_CANCELED = '57014';
// What the socket reports when the server cannot be reached or drops the connection.
const UNAVAILABLE_SOCKET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// What the driver (pg and its pool) says, with no code, when a connection fails, breaks or cannot be had in time.
const UNAVAILABLE_DRIVER_MESSAGE = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
]);

/** Classifies an error thrown by a query, looking through the causes drizzle wraps driver errors in. */
export function databaseFailure(err: unknown): DatabaseFailure | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (code === QUERY_CANCELED) return 'timeout';
    if (typeof code === 'string' && (UNAVAILABLE_STATE.test(code) || UNAVAILABLE_SOCKET.has(code))) {
      return 'unavailable';
    }
    if (typeof message === 'string' && UNAVAILABLE_DRIVER_MESSAGE.has(message)) return 'unavailable';
    e = cause;
  }
  return undefined;
}
