import { eq, inArray, isNull } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { allOf, byCreation, keyset } from '../../core/paging';
import { versionedRows } from '../../db/versioned';
import { claimRecordColumns, claims, type ClaimRow, type NewClaimRow } from '../../db/schema';
import type { ClaimListQuery } from './claim-schemas';

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
      const byIncident = query.incident_id !== undefined;
      const page = keyset('created_at', byCreation(claims.createdAt, claims.id), query.cursor, query.limit);
      const rows = await db
        .select(claimRecordColumns)
        .from(claims)
        .where(
          allOf(
            query.include_deleted ? undefined : isNull(claims.deletedAt),
            byIncident ? eq(claims.incidentId, query.incident_id!) : undefined,
            query.source_id ? eq(claims.sourceId, query.source_id) : undefined,
            query.review_status?.length ? inArray(claims.reviewStatus, query.review_status) : undefined,
            query.stance ? eq(claims.stance, query.stance) : undefined,
            page.after,
          ),
        )
        .orderBy(...page.orderBy)
        .limit(page.fetch);
      return page.page(rows, (r) => [r.createdAt, r.id]);
    },
  };
}

export type ClaimRepository = ReturnType<typeof createClaimRepository>;
