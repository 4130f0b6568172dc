import { and, asc, desc, eq, lte, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { allOf, keyset } from '../../core/paging';
import { changes, type ChangeRow } from '../../db/schema';
import type { FeedPosition, ResourceType } from '../../core/journal';

/**
 * The feed's horizon for this statement's snapshot: the lowest transaction id still running when it was taken,
 * leaving out transactions of other databases of the cluster, which cannot write this journal (a long one there
 * must not hold the feed back). A running transaction whose session cannot be seen counts, to be safe.
 */
const FEED_HORIZON = sql`(
  SELECT least(
    pg_snapshot_xmax(snapshot)::text::bigint,
    (SELECT min(running::text::bigint) FROM pg_snapshot_xip(snapshot) AS running
     WHERE running::text::bigint % 4294967296 NOT IN (
       SELECT backend_xid::text::bigint FROM pg_stat_activity
       WHERE backend_xid IS NOT NULL AND datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))))
  FROM (SELECT pg_current_snapshot() AS snapshot) AS now)`;

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
        .orderBy(desc(changes.version))
        .limit(1);
      return row;
    },

    /**
     * Changes after a feed position, in feed order, up to the horizon: the oldest transaction of this database
     * still running when the read began, whose changes (and those after it) may still be joined by one that
     * commits later, so they wait (see src/core/journal.ts).
     */
    async feed(db: Executor, after: FeedPosition, limit: number): Promise<ChangeRow[]> {
      return db
        .select()
        .from(changes)
        .where(
          and(
            sql`(${changes.xid}, ${changes.seq}) > (${after.xid}::bigint, ${after.seq}::bigint)`,
            sql`${changes.xid} < ${FEED_HORIZON}`,
          ),
        )
        .orderBy(asc(changes.xid), asc(changes.seq))
        .limit(limit);
    },
  };
}

export type HistoryRepository = ReturnType<typeof createHistoryRepository>;
