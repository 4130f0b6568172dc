import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable, SelectedFields } from 'drizzle-orm/pg-core';
import type { Executor } from './client';

/** A table of versioned, soft-deleted records: every resource of the API. */
export type VersionedTable = PgTable & {
  id: PgColumn;
  version: PgColumn;
  updatedAt: PgColumn;
  deletedAt: PgColumn;
};

/**
 * The statements every versioned record shares. A change bumps `version` and sets `updated_at` here and nowhere
 * else; a delete is a change that sets `deleted_at`. `columns` are those a record read returns.
 */
/** Row lock strengths, strongest first (PostgreSQL's FOR UPDATE … FOR KEY SHARE). */
export type LockStrength = 'update' | 'no key update' | 'share' | 'key share';

export function versionedRows<Row, NewRow>(
  table: VersionedTable,
  columns: SelectedFields,
  lockStrength: LockStrength = 'update',
) {
  const live = (id: string): SQL => and(eq(table.id, id), isNull(table.deletedAt))!;
  const bump = { version: sql`${table.version} + 1`, updatedAt: sql`now()` };
  async function update(db: Executor, id: string, values: Partial<NewRow>): Promise<Row | undefined> {
    const [row] = (await db
      .update(table)
      .set({ ...values, ...bump } as never)
      .where(live(id))
      .returning(columns)) as Row[];
    return row;
  }
  // Drizzle's builders are typed per table; this helper serves several, so its results are cast to the row type.
  type Builder = { where(c: SQL): unknown };

  return {
    /** The condition selecting the live record with this id. */
    live,

    async findLive(db: Executor, id: string): Promise<Row | undefined> {
      const [row] = (await (db.select(columns).from(table) as unknown as Builder).where(live(id))) as Row[];
      return row;
    },

    /**
     * Locks the live record for the rest of the transaction, so concurrent writers queue instead of
     * overwriting each other; by default with the table's strength. A record deleted meanwhile is not returned.
     */
    async lockLive(
      db: Executor,
      id: string,
      strength: LockStrength = lockStrength,
    ): Promise<Row | undefined> {
      const query = (db.select(columns).from(table) as unknown as Builder).where(live(id)) as {
        for(strength: string): Promise<Row[]>;
      };
      const [row] = await query.for(strength);
      return row;
    },

    /** Changes the live record, as a new version. */
    update,

    /** Soft-deletes the live record: it stays, as a new version with `deleted_at` set. */
    softDelete: (db: Executor, id: string): Promise<Row | undefined> =>
      update(db, id, { deletedAt: sql`now()` } as unknown as Partial<NewRow>),
  };
}
