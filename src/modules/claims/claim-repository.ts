import { eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { allOf, byCreation, keyset } from '../../core/paging';
import { versionedRows } from '../../db/versioned';
import { claimRecordColumns, claims, type ClaimRow, type NewClaimRow } from '../../db/schema';
import type { ClaimListQuery } from './claim-schemas';

function conditions(query: ClaimListQuery) {
  return [
    query.include_deleted ? undefined : isNull(claims.deletedAt),
    query.incident_id !== undefined ? eq(claims.incidentId, query.incident_id) : undefined,
    query.source_id ? eq(claims.sourceId, query.source_id) : undefined,
    query.review_status?.length ? inArray(claims.reviewStatus, query.review_status) : undefined,
    query.stance ? eq(claims.stance, query.stance) : undefined,
  ];
}

export function createClaimRepository() {
  const versioned = versionedRows<ClaimRow, NewClaimRow>(claims, claimRecordColumns);
  return {
    async insert(db: Executor, values: NewClaimRow): Promise<ClaimRow> {
      const [row] = await db.insert(claims).values(values).returning(claimRecordColumns);
      return row!;
    },

    findLive: versioned.findLive,
    update: versioned.update,
    softDelete: versioned.softDelete,

    async list(db: Executor, query: ClaimListQuery) {
      const page = keyset('created_at', byCreation(claims.createdAt, claims.id), query.cursor, query.limit);
      const rows = await db
        .select(claimRecordColumns)
        .from(claims)
        .where(allOf(...conditions(query), page.after))
        .orderBy(...page.orderBy)
        .limit(page.fetch);
      return page.page(rows, (r) => [r.createdAt, r.id]);
    },

    /** How many claims the list's filters select, on every page. */
    async count(db: Executor, query: ClaimListQuery): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(claims)
        .where(allOf(...conditions(query)));
      return row!.n;
    },
  };
}

export type ClaimRepository = ReturnType<typeof createClaimRepository>;
