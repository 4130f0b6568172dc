import { and, eq, getTableColumns, ilike, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import type { Viewer } from '../../http/access';
import { allOf, byCreation, keyset } from '../../core/paging';
import { versionedRows } from '../../db/versioned';
import { claims, sources, type NewSourceRow, type SourceRow } from '../../db/schema';
import type { SourceListQuery } from './source-schemas';

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function conditions(query: SourceListQuery & Viewer) {
  return [
    query.include_deleted ? undefined : isNull(sources.deletedAt),
    query.kind?.length ? inArray(sources.kind, query.kind) : undefined,
    // Below contributor a protected source must not be findable by its hidden name or acronym.
    query.q
      ? and(
          or(ilike(sources.name, likePattern(query.q)), ilike(sources.acronym, likePattern(query.q))),
          query.seesProtected ? undefined : eq(sources.protected, false),
        )
      : undefined,
  ];
}

export function createSourceRepository() {
  const versioned = versionedRows<SourceRow, NewSourceRow>(
    sources,
    getTableColumns(sources),
    'no key update',
  );
  return {
    async insert(db: Executor, values: NewSourceRow): Promise<SourceRow> {
      const [row] = await db.insert(sources).values(values).returning();
      return row!;
    },

    findLive: versioned.findLive,
    /**
     * Locks the row for the rest of the transaction, so concurrent writers queue instead of overwriting. NO KEY
     * UPDATE lets claims that cite the source be written meanwhile (their foreign key takes KEY SHARE): a change of
     * the source that then waits for their incidents cannot deadlock with them.
     */
    lockLive: versioned.lockLive,
    update: versioned.update,
    softDelete: versioned.softDelete,

    /** Ids of the live claims that cite this source (at most `limit`). */
    async liveClaimIds(db: Executor, sourceId: string, limit = 20): Promise<string[]> {
      const rows = await db
        .select({ id: claims.id })
        .from(claims)
        .where(and(eq(claims.sourceId, sourceId), isNull(claims.deletedAt)))
        .orderBy(claims.createdAt, claims.id)
        .limit(limit);
      return rows.map((r) => r.id);
    },

    /** Incidents with live claims from this source, in id order so that locks are always taken in one order. */
    async incidentIdsCiting(db: Executor, sourceId: string): Promise<string[]> {
      const rows = await db
        .selectDistinct({ id: claims.incidentId })
        .from(claims)
        .where(and(eq(claims.sourceId, sourceId), isNull(claims.deletedAt)))
        .orderBy(claims.incidentId);
      return rows.map((r) => r.id);
    },

    async list(db: Executor, query: SourceListQuery & Viewer) {
      const page = keyset('created_at', byCreation(sources.createdAt, sources.id), query.cursor, query.limit);
      const rows = await db
        .select()
        .from(sources)
        .where(allOf(...conditions(query), page.after))
        .orderBy(...page.orderBy)
        .limit(page.fetch);
      return page.page(rows, (r) => [r.createdAt, r.id]);
    },

    /** How many sources the list's filters select, on every page. */
    async count(db: Executor, query: SourceListQuery & Viewer): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(sources)
        .where(allOf(...conditions(query)));
      return row!.n;
    },
  };
}

export type SourceRepository = ReturnType<typeof createSourceRepository>;
