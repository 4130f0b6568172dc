import { createHash } from 'node:crypto';
import { and, eq, gte, inArray, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db, type Executor } from '../../db/client';
import type { Viewer } from '../../http/access';
import { allOf, keyset, type SortSpec } from '../../core/paging';
import { searchQuery } from '../../db/search';
import { versionedRows } from '../../db/versioned';
import {
  claims,
  incidentActors,
  incidentExternalIds,
  incidentRefCounters,
  incidentRecordColumns,
  incidents,
  incidentTags,
  sources,
  type IncidentRow,
  type NewIncidentRow,
} from '../../db/schema';
import { storeListsFromTables, type IncidentLists } from './incident-lists';
import type { IncidentFilters, IncidentListQuery, IncidentSort } from './incident-schemas';

/** A whole incident record: its row, lists included. */
export type IncidentRecord = IncidentRow;

const byId = { column: incidents.id, type: 'uuid' } as const;
const killedKey = sql`coalesce(${incidents.killedBest}, -1)`;

/**
 * How many matches of each kind (own text, claim statements) a list ranked by relevance ranks at most. A word
 * found in a tenth of a million incidents would otherwise make every page rank them all (`ts_rank` has no index);
 * with the bound, a page costs a few thousand ranks whatever the word. The trade-off: when a search matches more
 * than this, the ranking is over the first matches the full-text index yields that also pass the other filters,
 * not over every match. Narrow the search (filters, more words), or page through every match in a defined order
 * with another `sort`; exports rank every match.
 */
export const RANKED_CANDIDATES = 2000;

/**
 * The incidents a search matches, as `hits(id, claim_rank)`: claim_rank is the rank of the incident's
 * best-matching live claim (0 when only its own text matches). Both tables are searched once through their
 * full-text indexes and claim hits are grouped per incident, so ranking costs one pass over the matches rather
 * than a claims lookup per matching incident. With `bound`, each kind of match is cut at that many incidents
 * passing `filters` (see RANKED_CANDIDATES). Below contributor, the statements of protected sources' claims are
 * not searched: a match would reveal them.
 */
function searchHits(
  q: string,
  seesProtected: boolean | undefined,
  bound?: { limit: number; filters: SQL | undefined },
): SQL {
  const query = searchQuery(q);
  const searchable = seesProtected
    ? sql``
    : sql` AND c.source_id NOT IN (SELECT s.id FROM sources s WHERE s.protected)`;
  if (!bound) {
    return sql`(SELECT hit.id, max(hit.claim_rank) AS claim_rank FROM (
      SELECT i.id, 0::real AS claim_rank FROM incidents i WHERE i.search_vector @@ ${query}
      UNION ALL
      SELECT c.incident_id, max(ts_rank(c.search_vector, ${query})) FROM claims c
      WHERE c.search_vector @@ ${query} AND c.deleted_at IS NULL${searchable} GROUP BY c.incident_id
    ) hit GROUP BY hit.id) AS hits`;
  }
  const filters = bound.filters ? sql` AND ${bound.filters}` : sql``;
  return sql`(SELECT hit.id, max(hit.claim_rank) AS claim_rank FROM (
    (SELECT ${incidents.id} AS id, 0::real AS claim_rank FROM ${incidents}
     WHERE ${incidents.searchVector} @@ ${query}${filters} LIMIT ${bound.limit})
    UNION ALL
    (SELECT c.incident_id, max(c.rank) FROM (
       SELECT c.incident_id, ts_rank(c.search_vector, ${query}) AS rank FROM claims c
       JOIN ${incidents} ON ${incidents.id} = c.incident_id
       WHERE c.search_vector @@ ${query} AND c.deleted_at IS NULL${searchable}${filters} LIMIT ${bound.limit}) c
     GROUP BY c.incident_id)
  ) hit GROUP BY hit.id) AS hits`;
}

/** Relevance: the incident's own text counts fully, its best-matching live claim half. */
const relevance = (q: string) =>
  sql`(ts_rank(${incidents.searchVector}, ${searchQuery(q)}) + 0.5 * "hits"."claim_rank")::real`;

const hitsJoin = sql`"hits"."id" = ${incidents.id}`;

/** The order of a list and the key it pages by; every order ends with the id, so it is total. */
function sortOf(
  sort: IncidentSort,
  q: string | undefined,
): { name: string; spec: SortSpec; key: (r: IncidentRow & { rank?: number }) => unknown[] } {
  const descending = sort.startsWith('-');
  switch (sort.replace(/^-/, '')) {
    case 'occurred_from':
      return {
        name: sort,
        spec: { columns: [{ column: incidents.occurredFrom, type: 'date' }, byId], descending },
        key: (r) => [r.occurredFrom, r.id],
      };
    case 'created_at':
      return {
        name: sort,
        spec: { columns: [{ column: incidents.createdAt, type: 'timestamp' }, byId], descending },
        key: (r) => [r.createdAt, r.id],
      };
    case 'updated_at':
      return {
        name: sort,
        spec: { columns: [{ column: incidents.updatedAt, type: 'timestamp' }, byId], descending },
        key: (r) => [r.updatedAt, r.id],
      };
    case 'killed':
      return {
        name: sort,
        spec: { columns: [{ column: killedKey, type: 'integer' }, byId], descending },
        key: (r) => [r.killedBest ?? -1, r.id],
      };
    default: {
      // A relevance cursor is only valid for the query it ranked.
      const digest = createHash('sha256')
        .update(q ?? '')
        .digest('base64url')
        .slice(0, 12);
      return {
        name: `relevance:${digest}`,
        spec: { columns: [{ column: relevance(q!), type: 'real' }, byId], descending: true },
        key: (r) => [r.rank, r.id],
      };
    }
  }
}

/** Degrees of latitude per kilometre along a meridian, for the bounding box around `near`. */
const KM_PER_DEGREE = 111.195;
const EARTH_RADIUS_KM = 6371.0088;

/** Below contributor, the statements of protected sources' claims are not searchable: a match would reveal them. */
const searchableClaim = (seesProtected: boolean | undefined) =>
  seesProtected
    ? sql`true`
    : sql`${claims.sourceId} NOT IN (SELECT ${sources.id} FROM ${sources} WHERE ${sources.protected})`;

/** The two ways an incident matches `q`: its own text, or the statement of one of its live, searchable claims. */
const ownTextMatches = (q: string) => sql`${incidents.searchVector} @@ ${searchQuery(q)}`;
const claimMatches = (q: string, seesProtected: boolean | undefined) =>
  sql`EXISTS (SELECT 1 FROM ${claims} WHERE ${claims.incidentId} = ${incidents.id} AND ${claims.searchVector} @@ ${searchQuery(q)} AND ${claims.deletedAt} IS NULL AND ${searchableClaim(seesProtected)})`;

/** The SQL conditions for the shared incident filters (SPEC §5); each is answered by an index or a semi-join. */
export function incidentConditions(f: IncidentFilters & Viewer): (SQL | undefined)[] {
  const conditions: (SQL | undefined)[] = [
    f.include_deleted ? undefined : isNull(incidents.deletedAt),
    f.country?.length ? inArray(incidents.country, f.country) : undefined,
    f.admin1 ? eq(incidents.admin1, f.admin1) : undefined,
    f.admin2 ? eq(incidents.admin2, f.admin2) : undefined,
    f.place ? sql`lower(${incidents.place}) = lower(${f.place})` : undefined,
    f.category?.length ? inArray(incidents.category, f.category) : undefined,
    f.subcategory?.length ? inArray(incidents.subcategory, f.subcategory) : undefined,
    f.status?.length ? inArray(incidents.status, f.status) : undefined,
    f.from ? gte(incidents.occurredTo, f.from) : undefined,
    f.to ? lte(incidents.occurredFrom, f.to) : undefined,
    // The same as killed_best >= n (n is never negative), in the form the killed index answers.
    f.min_killed !== undefined ? sql`${killedKey} >= ${f.min_killed}` : undefined,
    f.updated_since ? gte(incidents.updatedAt, new Date(f.updated_since)) : undefined,
    f.source_id
      ? sql`EXISTS (SELECT 1 FROM ${claims} WHERE ${claims.incidentId} = ${incidents.id} AND ${claims.sourceId} = ${f.source_id} AND ${claims.deletedAt} IS NULL)`
      : undefined,
    f.actor
      ? sql`EXISTS (SELECT 1 FROM ${incidentActors} WHERE ${incidentActors.incidentId} = ${incidents.id} AND lower(${incidentActors.name}) = lower(${f.actor}))`
      : undefined,
    f.tag?.length
      ? sql`EXISTS (SELECT 1 FROM ${incidentTags} WHERE ${incidentTags.incidentId} = ${incidents.id} AND ${inArray(incidentTags.tag, f.tag)})`
      : undefined,
    f.q
      ? sql`${incidents.id} IN (SELECT ${incidents.id} FROM ${incidents} WHERE ${incidents.searchVector} @@ ${searchQuery(f.q)} UNION SELECT ${claims.incidentId} FROM ${claims} WHERE ${claims.searchVector} @@ ${searchQuery(f.q)} AND ${claims.deletedAt} IS NULL AND ${searchableClaim(f.seesProtected)})`
      : undefined,
  ];
  if (f.bbox) {
    const [minLon, minLat, maxLon, maxLat] = f.bbox as [number, number, number, number];
    conditions.push(sql`${incidents.latitude} BETWEEN ${minLat} AND ${maxLat}`);
    conditions.push(
      minLon <= maxLon
        ? sql`${incidents.longitude} BETWEEN ${minLon} AND ${maxLon}`
        : sql`(${incidents.longitude} >= ${minLon} OR ${incidents.longitude} <= ${maxLon})`,
    );
  }
  if (f.near && f.radius_km !== undefined) {
    const [lat, lon] = f.near as [number, number];
    const r = f.radius_km;
    const dLat = r / KM_PER_DEGREE;
    // The box around the circle lets the latitude index do the work; the exact distance then decides.
    conditions.push(sql`${incidents.latitude} BETWEEN ${lat - dLat} AND ${lat + dLat}`);
    const cosLat = Math.cos((Math.min(89.9, Math.abs(lat) + dLat) * Math.PI) / 180);
    const dLon = r / (KM_PER_DEGREE * cosLat);
    if (dLon < 180) {
      const west = lon - dLon;
      const east = lon + dLon;
      conditions.push(
        west < -180
          ? sql`(${incidents.longitude} >= ${west + 360} OR ${incidents.longitude} <= ${east})`
          : east > 180
            ? sql`(${incidents.longitude} >= ${west} OR ${incidents.longitude} <= ${east - 360})`
            : sql`${incidents.longitude} BETWEEN ${west} AND ${east}`,
      );
    }
    conditions.push(
      sql`2 * ${EARTH_RADIUS_KM}::float8 * asin(sqrt(power(sin(radians(${incidents.latitude} - ${lat}::float8) / 2), 2) + cos(radians(${lat}::float8)) * cos(radians(${incidents.latitude})) * power(sin(radians(${incidents.longitude} - ${lon}::float8) / 2), 2))) <= ${r}::float8`,
    );
  }
  return conditions;
}

const HIERARCHY_LOCK_KEY = 7_240_318_554;

export function createIncidentRepository() {
  const versioned = versionedRows<IncidentRecord, NewIncidentRow>(
    incidents,
    incidentRecordColumns,
    'no key update',
  );
  // Reading one incident is the commonest request: its statement is built once per database and prepared.
  const readStatements = new WeakMap<Db, ReturnType<typeof prepareRead>>();
  function prepareRead(db: Db) {
    return db
      .select(incidentRecordColumns)
      .from(incidents)
      .where(and(eq(incidents.id, sql.placeholder('id')), isNull(incidents.deletedAt)))
      .prepare('incident_read_live');
  }

  return {
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
      const [row] = await db.insert(incidents).values(values).returning(incidentRecordColumns);
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
      if (lists.actors || lists.tags || lists.externalIds) await storeListsFromTables(db, [incidentId]);
    },

    /** A live incident read outside any transaction, through a prepared statement. */
    async readLive(db: Db, id: string): Promise<IncidentRecord | undefined> {
      let statement = readStatements.get(db);
      if (!statement) {
        statement = prepareRead(db);
        readStatements.set(db, statement);
      }
      const [row] = await statement.execute({ id });
      return row;
    },

    findLive: versioned.findLive,

    /**
     * Locks a live incident for the rest of the transaction. NO KEY UPDATE does not conflict with the
     * KEY SHARE locks that inserting claims takes, so concurrent claim writers queue here rather than deadlock.
     */
    lockLive: versioned.lockLive,

    update: versioned.update,

    softDelete: versioned.softDelete,

    /**
     * Serialises the writes that read or change how incidents nest (a parent link set, an incident deleted, a
     * merge), until the transaction ends, so that two concurrent ones can never together make a cycle or a child
     * of a deleted incident. Taken before any incident row lock, so that it cannot deadlock with them. Writes that
     * leave the nesting alone (claims, most edits) never take it.
     */
    async lockHierarchy(db: Executor): Promise<void> {
      await db.execute(sql`SELECT pg_advisory_xact_lock(${HIERARCHY_LOCK_KEY})`);
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

    /**
     * The statement an export reads: every incident the filters select, in the list's order, each row made of
     * `columns` (the record already formatted by the database). It has no keyset: one snapshot, read by a cursor.
     */
    exportQuery(
      query: IncidentFilters & Viewer & { sort?: IncidentSort | undefined },
      columns: { select: SQL; lateral?: SQL },
    ): SQL {
      const sortName = query.sort ?? (query.q ? 'relevance' : '-occurred_from');
      const order =
        sortName === 'relevance'
          ? sql`${relevance(query.q!)} DESC, ${incidents.id} DESC`
          : (() => {
              const { spec } = sortOf(sortName, query.q);
              const direction = sql.raw(spec.descending ? 'DESC' : 'ASC');
              return sql.join(
                spec.columns.map((c) => sql`${c.column} ${direction}`),
                sql`, `,
              );
            })();
      const lateral = columns.lateral ? sql` CROSS JOIN LATERAL ${columns.lateral}` : sql``;
      if (sortName === 'relevance') {
        // The search itself is the join with its hits.
        const where = allOf(...incidentConditions({ ...query, q: undefined })) ?? sql`true`;
        const hits = searchHits(query.q!, query.seesProtected);
        return sql`SELECT ${columns.select} FROM ${incidents} JOIN ${hits} ON ${hitsJoin}${lateral} WHERE ${where} ORDER BY ${order}`;
      }
      const where = allOf(...incidentConditions(query)) ?? sql`true`;
      return sql`SELECT ${columns.select} FROM ${incidents}${lateral} WHERE ${where} ORDER BY ${order}`;
    },

    /** How many incidents the list's filters select, on every page. */
    async count(db: Executor, query: IncidentFilters & Viewer): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(incidents)
        .where(allOf(...incidentConditions(query)));
      return row!.n;
    },

    async list(db: Executor, query: IncidentListQuery & Viewer) {
      const sort = sortOf(query.sort ?? (query.q ? 'relevance' : '-occurred_from'), query.q);
      const page = keyset(sort.name, sort.spec, query.cursor, query.limit);
      const conditions = incidentConditions(query);
      let rows: (IncidentRecord & { rank?: number })[];
      if (sort.name.startsWith('relevance')) {
        // The search itself is the join with its hits, which carry the rank the keyset compares.
        rows = (await db
          .select({ ...incidentRecordColumns, rank: relevance(query.q!).mapWith(Number) })
          .from(incidents)
          .innerJoin(
            searchHits(query.q!, query.seesProtected, {
              limit: RANKED_CANDIDATES,
              filters: allOf(...incidentConditions({ ...query, q: undefined })),
            }),
            hitsJoin,
          )
          .where(allOf(...incidentConditions({ ...query, q: undefined }), page.after))
          .orderBy(...page.orderBy)
          .limit(page.fetch)) as (IncidentRecord & { rank: number })[];
      } else if (query.q) {
        // `q` with a sort of its own: the page comes from two candidate lists, each read in the sort's order and
        // cut at the page's size: incidents whose own text matches, and incidents with a matching claim. Each is
        // one indexed read, whether the word is rare (the search index, then the top of the matches) or common
        // (the sort's index, stopping at the first matches), where the set of all matches would be built first.
        const base = allOf(...incidentConditions({ ...query, q: undefined }), page.after);
        const order = sql.join(page.orderBy, sql`, `);
        const firstOf = (match: SQL) =>
          sql`(SELECT ${incidents.id} FROM ${incidents} WHERE ${allOf(base, match)} ORDER BY ${order} LIMIT ${page.fetch})`;
        const candidates = sql`${incidents.id} IN (SELECT id FROM (${firstOf(ownTextMatches(query.q))} UNION ALL ${firstOf(claimMatches(query.q, query.seesProtected))}) AS candidates)`;
        rows = await db
          .select(incidentRecordColumns)
          .from(incidents)
          .where(allOf(base, candidates))
          .orderBy(...page.orderBy)
          .limit(page.fetch);
      } else {
        rows = await db
          .select(incidentRecordColumns)
          .from(incidents)
          .where(allOf(...conditions, page.after))
          .orderBy(...page.orderBy)
          .limit(page.fetch);
      }
      const { rows: pageRows, nextCursor } = page.page(rows, sort.key);
      return { rows: pageRows.map(({ rank: _rank, ...row }) => row), nextCursor };
    },
  };
}

export type IncidentRepository = ReturnType<typeof createIncidentRepository>;
