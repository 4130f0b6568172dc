import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type pg from 'pg';

const dialect = new PgDialect();

/**
 * Reads a query's rows through a server-side cursor on a connection of its own, `batchSize` rows at a time, each
 * row as an array of its columns. One snapshot covers the whole read (REPEATABLE READ, READ ONLY), however long
 * the client takes. One batch is fetched ahead, while the consumer handles the one before: a slow consumer
 * slows the reads, and memory holds two batches. When the consumer stops early (returns, throws, or its stream is destroyed because
 * the client went away) the transaction is rolled back, which ends the query on the server.
 *
 * Each FETCH is its own statement, so `statement_timeout` bounds a batch, not the whole read.
 */
export async function* readCursor(
  pool: pg.Pool,
  query: SQL,
  batchSize: number,
): AsyncGenerator<unknown[][], void, undefined> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  const client = await pool.connect();
  let finished = false;
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`DECLARE export_rows NO SCROLL CURSOR FOR ${text}`, params);
    const fetch = () => {
      const next = client.query<unknown[]>({
        text: `FETCH FORWARD ${batchSize} FROM export_rows`,
        rowMode: 'array',
      });
      // Awaited below, or superseded by the ROLLBACK when the consumer stops: never an unhandled rejection.
      next.catch(() => undefined);
      return next;
    };
    let next = fetch();
    for (;;) {
      const { rows } = await next;
      if (rows.length === 0) break;
      // The database makes the next batch while the consumer writes this one.
      next = fetch();
      yield rows;
    }
    await client.query('COMMIT');
    finished = true;
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    if (!finished) {
      // Rolling back closes the cursor; a connection that cannot even do that is discarded.
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
    }
    client.release(broken);
  }
}
