import { and, asc, desc, eq, gt, lte } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { allOf, keyset } from '../../core/paging';
import { changes, type ChangeRow } from '../../db/schema';
import type { ResourceType } from '../../core/journal';

export function createHistoryRepository() {
  return {
    /** Versions of one record, oldest first. */
    async versions(
      db: Executor,
      type: ResourceType,
      id: string,
      query: { limit: number; cursor?: string | undefined },
    ) {
      const page = keyset(
        'version',
        { columns: [{ column: changes.version, type: 'integer' }], descending: false },
        query.cursor,
        query.limit,
      );
      const rows = await db
        .select()
        .from(changes)
        .where(allOf(eq(changes.resourceType, type), eq(changes.resourceId, id), page.after))
        .orderBy(...page.orderBy)
        .limit(page.fetch);
      return page.page(rows, (r) => [r.version]);
    },

    /** The version of a record current at a moment, if it existed then. */
    async asOf(db: Executor, type: ResourceType, id: string, at: Date): Promise<ChangeRow | undefined> {
      const [row] = await db
        .select()
        .from(changes)
        .where(and(eq(changes.resourceType, type), eq(changes.resourceId, id), lte(changes.changedAt, at)))
        .orderBy(desc(changes.seq))
        .limit(1);
      return row;
    },

    /** Changes after a sequence number, in commit order. */
    async feed(db: Executor, after: number, limit: number): Promise<ChangeRow[]> {
      return db.select().from(changes).where(gt(changes.seq, after)).orderBy(asc(changes.seq)).limit(limit);
    },
  };
}

export type HistoryRepository = ReturnType<typeof createHistoryRepository>;
