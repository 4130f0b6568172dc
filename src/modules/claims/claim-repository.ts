import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { allOf, byCreation, keyset } from '../../db/keyset';
import { claimRecordColumns, claims, type ClaimRow, type NewClaimRow } from '../../db/schema';
import type { ClaimListQuery } from './claim-schemas';

export function createClaimRepository() {
  return {
    async insert(db: Executor, values: NewClaimRow): Promise<ClaimRow> {
      const [row] = await db.insert(claims).values(values).returning(claimRecordColumns);
      return row!;
    },

    async findLive(db: Executor, id: string): Promise<ClaimRow | undefined> {
      const [row] = await db
        .select(claimRecordColumns)
        .from(claims)
        .where(and(eq(claims.id, id), isNull(claims.deletedAt)));
      return row;
    },

    async update(db: Executor, id: string, values: Partial<NewClaimRow>): Promise<ClaimRow | undefined> {
      const [row] = await db
        .update(claims)
        .set({ ...values, version: sql`${claims.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(claims.id, id), isNull(claims.deletedAt)))
        .returning(claimRecordColumns);
      return row;
    },

    async softDelete(db: Executor, id: string): Promise<ClaimRow | undefined> {
      const [row] = await db
        .update(claims)
        .set({ deletedAt: sql`now()`, version: sql`${claims.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(claims.id, id), isNull(claims.deletedAt)))
        .returning(claimRecordColumns);
      return row;
    },

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
