import { and, eq, gte, inArray, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client';
import { allOf, keyset, type SortSpec } from '../../db/keyset';
import {
  claims,
  incidentActors,
  incidentExternalIds,
  incidentRefCounters,
  incidents,
  incidentTags,
  type IncidentRow,
  type NewIncidentRow,
} from '../../db/schema';
import type { IncidentListQuery, IncidentSort } from './incident-schemas';

export interface IncidentLists {
  actors: { name: string; role: string }[];
  tags: string[];
  externalIds: { system: string; id: string }[];
}

export type IncidentRecord = IncidentRow & IncidentLists;

const SORTS: Record<IncidentSort, SortSpec> = {
  occurred_from: {
    columns: [
      { column: incidents.occurredFrom, type: 'date' },
      { column: incidents.id, type: 'uuid' },
    ],
    descending: false,
  },
  '-occurred_from': {
    columns: [
      { column: incidents.occurredFrom, type: 'date' },
      { column: incidents.id, type: 'uuid' },
    ],
    descending: true,
  },
  created_at: {
    columns: [
      { column: incidents.createdAt, type: 'timestamp' },
      { column: incidents.id, type: 'uuid' },
    ],
    descending: false,
  },
  '-created_at': {
    columns: [
      { column: incidents.createdAt, type: 'timestamp' },
      { column: incidents.id, type: 'uuid' },
    ],
    descending: true,
  },
  updated_at: {
    columns: [
      { column: incidents.updatedAt, type: 'timestamp' },
      { column: incidents.id, type: 'uuid' },
    ],
    descending: false,
  },
  '-updated_at': {
    columns: [
      { column: incidents.updatedAt, type: 'timestamp' },
      { column: incidents.id, type: 'uuid' },
    ],
    descending: true,
  },
};

const SORT_KEYS: Record<IncidentSort, (r: IncidentRow) => unknown[]> = {
  occurred_from: (r) => [r.occurredFrom, r.id],
  '-occurred_from': (r) => [r.occurredFrom, r.id],
  created_at: (r) => [r.createdAt, r.id],
  '-created_at': (r) => [r.createdAt, r.id],
  updated_at: (r) => [r.updatedAt, r.id],
  '-updated_at': (r) => [r.updatedAt, r.id],
};

export function createIncidentRepository() {
  async function loadLists(db: Executor, ids: string[]): Promise<Map<string, IncidentLists>> {
    const lists = new Map<string, IncidentLists>(
      ids.map((id) => [id, { actors: [], tags: [], externalIds: [] }]),
    );
    if (ids.length === 0) return lists;
    const [actors, tags, externalIds] = await Promise.all([
      db
        .select()
        .from(incidentActors)
        .where(inArray(incidentActors.incidentId, ids))
        .orderBy(incidentActors.incidentId, incidentActors.position),
      db
        .select()
        .from(incidentTags)
        .where(inArray(incidentTags.incidentId, ids))
        .orderBy(incidentTags.incidentId, incidentTags.tag),
      db
        .select()
        .from(incidentExternalIds)
        .where(inArray(incidentExternalIds.incidentId, ids))
        .orderBy(incidentExternalIds.incidentId, incidentExternalIds.system),
    ]);
    for (const a of actors) lists.get(a.incidentId)!.actors.push({ name: a.name, role: a.role });
    for (const t of tags) lists.get(t.incidentId)!.tags.push(t.tag);
    for (const e of externalIds)
      lists.get(e.incidentId)!.externalIds.push({ system: e.system, id: e.externalId });
    return lists;
  }

  async function withLists(db: Executor, rows: IncidentRow[]): Promise<IncidentRecord[]> {
    const lists = await loadLists(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({ ...r, ...lists.get(r.id)! }));
  }

  return {
    withLists,

    /** Takes the next number for a ref prefix; the counter row serialises concurrent creations per prefix. */
    async nextRefNumber(db: Executor, prefix: string): Promise<number> {
      const [row] = await db
        .insert(incidentRefCounters)
        .values({ prefix, lastValue: 1 })
        .onConflictDoUpdate({
          target: incidentRefCounters.prefix,
          set: { lastValue: sql`${incidentRefCounters.lastValue} + 1` },
        })
        .returning({ lastValue: incidentRefCounters.lastValue });
      return row!.lastValue;
    },

    async insert(db: Executor, values: NewIncidentRow): Promise<IncidentRow> {
      const [row] = await db.insert(incidents).values(values).returning();
      return row!;
    },

    async replaceLists(db: Executor, incidentId: string, lists: Partial<IncidentLists>): Promise<void> {
      if (lists.actors) {
        await db.delete(incidentActors).where(eq(incidentActors.incidentId, incidentId));
        if (lists.actors.length) {
          await db
            .insert(incidentActors)
            .values(
              lists.actors.map((a, position) => ({ incidentId, position, name: a.name, role: a.role })),
            );
        }
      }
      if (lists.tags) {
        await db.delete(incidentTags).where(eq(incidentTags.incidentId, incidentId));
        if (lists.tags.length) {
          await db.insert(incidentTags).values(lists.tags.map((tag) => ({ incidentId, tag })));
        }
      }
      if (lists.externalIds) {
        await db.delete(incidentExternalIds).where(eq(incidentExternalIds.incidentId, incidentId));
        if (lists.externalIds.length) {
          await db
            .insert(incidentExternalIds)
            .values(lists.externalIds.map((e) => ({ incidentId, system: e.system, externalId: e.id })));
        }
      }
    },

    async findLive(db: Executor, id: string): Promise<IncidentRecord | undefined> {
      const [row] = await db
        .select()
        .from(incidents)
        .where(and(eq(incidents.id, id), isNull(incidents.deletedAt)));
      return row ? (await withLists(db, [row]))[0] : undefined;
    },

    /**
     * Locks a live incident for the rest of the transaction. NO KEY UPDATE does not conflict with the
     * KEY SHARE locks that inserting claims takes, so concurrent claim writers queue here rather than deadlock.
     */
    async lockLive(db: Executor, id: string): Promise<IncidentRow | undefined> {
      const [row] = await db
        .select()
        .from(incidents)
        .where(and(eq(incidents.id, id), isNull(incidents.deletedAt)))
        .for('no key update');
      return row;
    },

    async update(
      db: Executor,
      id: string,
      values: Partial<NewIncidentRow>,
    ): Promise<IncidentRow | undefined> {
      const [row] = await db
        .update(incidents)
        .set({ ...values, version: sql`${incidents.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(incidents.id, id), isNull(incidents.deletedAt)))
        .returning();
      return row;
    },

    async softDelete(db: Executor, id: string): Promise<IncidentRow | undefined> {
      const [row] = await db
        .update(incidents)
        .set({ deletedAt: sql`now()`, version: sql`${incidents.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(incidents.id, id), isNull(incidents.deletedAt)))
        .returning();
      return row;
    },

    /** The ids of an incident and all its ancestors, nearest first; used to refuse parent cycles. */
    async ancestry(db: Executor, id: string): Promise<string[]> {
      const rows = await queryRows<{ id: string }>(
        db,
        sql`
        WITH RECURSIVE chain(id, parent_id, depth) AS (
          SELECT id, parent_id, 0 FROM incidents WHERE id = ${id}
          UNION ALL
          SELECT i.id, i.parent_id, c.depth + 1 FROM incidents i JOIN chain c ON i.id = c.parent_id WHERE c.depth < 1000
        )
        SELECT id FROM chain ORDER BY depth`,
      );
      return rows.map((r) => r.id);
    },

    async liveChildIds(db: Executor, id: string, limit = 20): Promise<string[]> {
      const rows = await db
        .select({ id: incidents.id })
        .from(incidents)
        .where(and(eq(incidents.parentId, id), isNull(incidents.deletedAt)))
        .orderBy(incidents.id)
        .limit(limit);
      return rows.map((r) => r.id);
    },

    async liveClaimIds(db: Executor, incidentId: string, limit = 20): Promise<string[]> {
      const rows = await db
        .select({ id: claims.id })
        .from(claims)
        .where(and(eq(claims.incidentId, incidentId), isNull(claims.deletedAt)))
        .orderBy(claims.createdAt, claims.id)
        .limit(limit);
      return rows.map((r) => r.id);
    },

    async list(db: Executor, query: IncidentListQuery) {
      const page = keyset(query.sort, SORTS[query.sort], query.cursor, query.limit);
      const filters: (SQL | undefined)[] = [
        query.include_deleted ? undefined : isNull(incidents.deletedAt),
        query.country?.length ? inArray(incidents.country, query.country) : undefined,
        query.admin1 ? eq(incidents.admin1, query.admin1) : undefined,
        query.category?.length ? inArray(incidents.category, query.category) : undefined,
        query.from ? gte(incidents.occurredTo, query.from) : undefined,
        query.to ? lte(incidents.occurredFrom, query.to) : undefined,
        query.source_id
          ? sql`EXISTS (SELECT 1 FROM ${claims} WHERE ${claims.incidentId} = ${incidents.id} AND ${claims.sourceId} = ${query.source_id} AND ${claims.deletedAt} IS NULL)`
          : undefined,
        page.after,
      ];
      const rows = await db
        .select()
        .from(incidents)
        .where(allOf(...filters))
        .orderBy(...page.orderBy)
        .limit(page.fetch);
      const { rows: pageRows, nextCursor } = page.page(rows, SORT_KEYS[query.sort]);
      return { rows: await withLists(db, pageRows), nextCursor };
    },
  };
}

export type IncidentRepository = ReturnType<typeof createIncidentRepository>;
