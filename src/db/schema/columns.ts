import { sql, type SQL } from 'drizzle-orm';
import { integer, timestamp, type AnyPgColumn } from 'drizzle-orm/pg-core';

/** Millisecond precision, so that a timestamp survives a round trip through JSON and a keyset cursor. */
export const timestampColumn = (name: string) =>
  timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

/** Columns every resource carries: nothing is ever hard-deleted through the API. */
export const lifecycleColumns = () => ({
  createdAt: timestampColumn('created_at').notNull().defaultNow(),
  updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  version: integer('version').notNull().default(1),
  deletedAt: timestampColumn('deleted_at'),
});

/** A CHECK body restricting a text column to a vocabulary. */
export function oneOf(column: AnyPgColumn, values: readonly string[]): SQL {
  const list = values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');
  return sql`${column} IN (${sql.raw(list)})`;
}
