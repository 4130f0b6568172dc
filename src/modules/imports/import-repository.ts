import { and, eq, getTableColumns, inArray, isNull, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { queryRows, type Executor } from '../../db/client';
import { versionedRows } from '../../db/versioned';
import {
  claimRecordColumns,
  claims,
  incidentActors,
  incidentExternalIds,
  incidentRecordColumns,
  incidents,
  incidentTags,
  sources,
  type ClaimRow,
  type IncidentRow,
  type NewClaimRow,
  type NewIncidentRow,
  type SourceRow,
} from '../../db/schema';
import { listsFromJson, storeListsFromTables, type IncidentLists } from '../incidents/incident-lists';
import type { IncidentRecord } from '../incidents/incident-repository';
import type { ExternalId } from './import-model';

// Imports take this lock for each batch: two imports never decide "new" for the same external id or source
// name at once. Other writers are not held up.
const IMPORT_LOCK_KEY = 7_240_318_553;

/** What the casualty and status rules need to know about a claim's source. */
export interface SourceRank {
  id: string;
  reliability: string;
  independenceGroup: string | null;
}

export type ClaimWithSource = ClaimRow & { reliability: string; independenceGroup: string | null };

type Column = readonly [name: string, type: string];

/** The fields of a table's records an import writes, by their property names (camelCase). */
type Fields<T extends PgTable, R> = readonly (keyof R & keyof T['_']['columns'])[];

/** Each field's column as `json_to_recordset` declares it: its name and SQL type. */
function columnsOf<T extends PgTable, R>(table: T, fields: Fields<T, R>): Column[] {
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  return fields.map((field) => {
    const column = columns[field as string]!;
    return [column.name, column.getSQLType()] as const;
  });
}

/** Records as the JSON rows `json_to_recordset` reads: the fields' values under their column names. */
function jsonRows<T extends PgTable, R>(table: T, fields: Fields<T, R>, records: readonly R[]): object[] {
  const names = columnsOf(table, fields).map(([name]) => name);
  return records.map((record) => Object.fromEntries(fields.map((field, i) => [names[i], record[field]])));
}

/**
 * Inserts many records with one statement: the rows travel as one JSON parameter and json_to_recordset turns
 * them into a relation. It works alike on the server and on PGlite, whose driver has no COPY FROM STDIN.
 */
async function insertMany<T extends PgTable, R>(
  db: Executor,
  table: T,
  fields: Fields<T, R>,
  records: readonly R[],
) {
  if (records.length === 0) return;
  const columns = columnsOf(table, fields);
  const names = columns.map(([name]) => name).join(', ');
  const definitions = columns.map(([name, type]) => `${name} ${type}`).join(', ');
  await db.execute(
    sql`INSERT INTO ${table} (${sql.raw(names)}) SELECT ${sql.raw(names)} FROM json_to_recordset(${JSON.stringify(jsonRows(table, fields, records))}::json) AS r(${sql.raw(definitions)})`,
  );
}

const { actors: _actors, tags: _tags, externalIds: _externalIds, ...incidentColumns } = incidentRecordColumns;
/** The columns of a new incident an import writes: all of the record's, its lists aside (written with them). */
const INCIDENT_FIELDS = Object.keys(incidentColumns) as (keyof typeof incidentColumns)[];
/** The columns of a new claim: all of the record's. */
const CLAIM_FIELDS = Object.keys(claimRecordColumns) as (keyof typeof claimRecordColumns)[];

/** The lists of a new incident, as the JSON the representation gives them. */
const LIST_COLUMNS: readonly Column[] = [
  ['actors', 'json'],
  ['tags', 'json'],
  ['external_ids', 'json'],
];

export function createImportRepository() {
  const claimRows = versionedRows<ClaimRow, NewClaimRow>(claims, claimRecordColumns);
  const incidentRows = versionedRows<IncidentRow, NewIncidentRow>(incidents, incidentRecordColumns);
  return {
    async lockImports(db: Executor): Promise<void> {
      await db.execute(sql`SELECT pg_advisory_xact_lock(${IMPORT_LOCK_KEY})`);
    },

    /** The transaction's time as the timestamp columns store it (milliseconds), for the records' representations. */
    async transactionTime(db: Executor): Promise<Date> {
      const [row] = await queryRows<{ ms: string }>(
        db,
        sql`SELECT (extract(epoch FROM now()::timestamptz(3)) * 1000)::bigint::text AS ms`,
      );
      return new Date(Number(row!.ms));
    },

    /** The incidents carrying these external ids, deleted ones included, keyed by `system\u0000id`. */
    async findByExternalIds(
      db: Executor,
      ids: ExternalId[],
    ): Promise<Map<string, { incidentId: string; deleted: boolean }>> {
      const found = new Map<string, { incidentId: string; deleted: boolean }>();
      const bySystem = new Map<string, string[]>();
      for (const { system, id } of ids) bySystem.set(system, [...(bySystem.get(system) ?? []), id]);
      for (const [system, values] of bySystem) {
        // A join rather than = ANY(array): the planner then probes the primary key per id (or hashes a small
        // table), where ANY would compare every stored id of the system with every id of the batch.
        const rows = await queryRows<{ external_id: string; incident_id: string; deleted: boolean }>(
          db,
          sql`SELECT e.external_id, e.incident_id, i.deleted_at IS NOT NULL AS deleted
              FROM json_array_elements_text(${JSON.stringify(values)}::json) AS k(id)
              JOIN incident_external_ids e ON e.system = ${system} AND e.external_id = k.id
              JOIN incidents i ON i.id = e.incident_id`,
        );
        for (const r of rows)
          found.set(`${system}\u0000${r.external_id}`, { incidentId: r.incident_id, deleted: r.deleted });
      }
      return found;
    },

    /** Live sources by exact name; where several share a name, the oldest. */
    async liveSourcesNamed(db: Executor, names: string[]): Promise<Map<string, SourceRank>> {
      if (names.length === 0) return new Map();
      const rows = await queryRows<{
        id: string;
        name: string;
        reliability: string;
        independence_group: string | null;
      }>(
        db,
        // A join, which the planner hashes or probes by the name index, where = ANY(array) would compare
        // every source with every name of the batch.
        sql`SELECT DISTINCT ON (s.name) s.id, s.name, s.reliability, s.independence_group
            FROM json_array_elements_text(${JSON.stringify(names)}::json) AS k(name)
            JOIN sources s ON s.name = k.name AND s.deleted_at IS NULL
            ORDER BY s.name, s.created_at, s.id`,
      );
      return new Map(
        rows.map((r) => [
          r.name,
          { id: r.id, reliability: r.reliability, independenceGroup: r.independence_group },
        ]),
      );
    },

    /**
     * The incidents with all their claims (deleted ones too), for comparing with a file. With `lock`, the
     * incidents are locked as claim writes lock them, in id order so that two batches never deadlock.
     */
    async incidentsWithClaims(db: Executor, ids: string[], lock: boolean) {
      if (ids.length === 0) return { records: [] as IncidentRecord[], claims: [] as ClaimWithSource[] };
      const query = db
        .select(incidentRecordColumns)
        .from(incidents)
        .where(inArray(incidents.id, ids))
        .orderBy(incidents.id);
      const records: IncidentRecord[] = lock ? await query.for('no key update') : await query;
      const claimRows = await db
        .select({
          ...claimRecordColumns,
          reliability: sources.reliability,
          independenceGroup: sources.independenceGroup,
        })
        .from(claims)
        .innerJoin(sources, eq(sources.id, claims.sourceId))
        .where(inArray(claims.incidentId, ids));
      return { records, claims: claimRows };
    },

    /** Whether an incident with this id exists and is live (for parent_id). */
    async liveIncidentIds(db: Executor, ids: string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await db
        .select({ id: incidents.id })
        .from(incidents)
        .where(and(inArray(incidents.id, ids), isNull(incidents.deletedAt)));
      return new Set(rows.map((r) => r.id));
    },

    async insertSources(db: Executor, rows: SourceRow[]) {
      await insertMany(db, sources, ['id', 'name', 'kind'], rows);
    },

    /**
     * Takes `count` ref numbers per prefix in one statement; returns the last number taken for each, so the
     * numbers are last - count + 1 … last. Concurrent creators queue on the counter rows, as for single creates.
     */
    async takeRefNumbers(db: Executor, counts: Map<string, number>): Promise<Map<string, number>> {
      if (counts.size === 0) return new Map();
      const rows = await queryRows<{ prefix: string; last_value: number }>(
        db,
        sql`INSERT INTO incident_ref_counters (prefix, last_value)
            SELECT prefix, n FROM json_to_recordset(${JSON.stringify([...counts].map(([prefix, n]) => ({ prefix, n })))}::json) AS r(prefix text, n integer)
            ORDER BY prefix
            ON CONFLICT (prefix) DO UPDATE SET last_value = incident_ref_counters.last_value + excluded.last_value
            RETURNING prefix, last_value`,
      );
      return new Map(rows.map((r) => [r.prefix, Number(r.last_value)]));
    },

    /**
     * Inserts new incidents with their lists, the stored JSON copies computed in the same statement; returns the
     * tags and external ids of those with more than one, as the database ordered them.
     */
    async insertIncidents(
      db: Executor,
      records: IncidentRecord[],
    ): Promise<Map<string, Pick<IncidentLists, 'tags' | 'externalIds'>>> {
      if (records.length === 0) return new Map();
      const columns = columnsOf(incidents, INCIDENT_FIELDS);
      const names = columns.map(([name]) => name).join(', ');
      const definitions = [...columns, ...LIST_COLUMNS].map(([name, type]) => `${name} ${type}`).join(', ');
      const lists = listsFromJson(sql.raw('r.actors'), sql.raw('r.tags'), sql.raw('r.external_ids'));
      const own = jsonRows(incidents, INCIDENT_FIELDS, records);
      const rows = records.map((r, i) => ({
        ...own[i],
        actors: r.actors.map((a) => ({ name: a.name, role: a.role })),
        tags: r.tags,
        external_ids: r.externalIds.map((e) => ({ system: e.system, id: e.id })),
      }));
      const ordered = await queryRows<{ id: string; tags: string; external_ids: string }>(
        db,
        sql`INSERT INTO incidents (${sql.raw(names)}, actors, tags, external_ids)
            SELECT ${sql.raw(names)}, ${lists.actors}, ${lists.tags}, ${lists.externalIds}
            FROM json_to_recordset(${JSON.stringify(rows)}::json) AS r(${sql.raw(definitions)})
            RETURNING id, tags::text AS tags, external_ids::text AS external_ids`,
      );
      await insertLists(db, records);
      const sorted = new Map<string, Pick<IncidentLists, 'tags' | 'externalIds'>>();
      const byId = new Map(records.map((r) => [r.id, r]));
      for (const r of ordered) {
        const record = byId.get(r.id)!;
        if (record.tags.length < 2 && record.externalIds.length < 2) continue;
        sorted.set(r.id, {
          tags: JSON.parse(r.tags) as IncidentLists['tags'],
          externalIds: JSON.parse(r.external_ids) as IncidentLists['externalIds'],
        });
      }
      return sorted;
    },

    async insertClaims(db: Executor, rows: ClaimRow[]) {
      await insertMany(db, claims, CLAIM_FIELDS, rows);
    },

    /** A claim or incident the batch has locked, changed as a new version. */
    updateClaim: async (db: Executor, id: string, values: Partial<ClaimRow>) =>
      (await claimRows.update(db, id, values))!,
    softDeleteClaim: async (db: Executor, id: string) => (await claimRows.softDelete(db, id))!,
    updateIncident: async (db: Executor, id: string, values: Partial<NewIncidentRow>) =>
      (await incidentRows.update(db, id, values))!,

    /** Replaces an incident's lists; returns them as stored, in the representation's order. */
    async replaceLists(
      db: Executor,
      record: IncidentRecord,
    ): Promise<Pick<IncidentLists, 'tags' | 'externalIds'>> {
      await db.delete(incidentActors).where(eq(incidentActors.incidentId, record.id));
      await db.delete(incidentTags).where(eq(incidentTags.incidentId, record.id));
      await db.delete(incidentExternalIds).where(eq(incidentExternalIds.incidentId, record.id));
      await insertLists(db, [record]);
      const { tags, externalIds } = (await storeListsFromTables(db, [record.id])).get(record.id)!;
      return { tags, externalIds };
    },
  };
}

async function insertLists(db: Executor, records: IncidentRecord[]) {
  const actors = records.flatMap((r) =>
    r.actors.map((a, position) => ({ incidentId: r.id, position, name: a.name, role: a.role })),
  );
  await insertMany(db, incidentActors, ['incidentId', 'position', 'name', 'role'], actors);
  const tags = records.flatMap((r) => r.tags.map((tag) => ({ incidentId: r.id, tag })));
  await insertMany(db, incidentTags, ['incidentId', 'tag'], tags);
  const externalIds = records.flatMap((r) =>
    r.externalIds.map((e) => ({ incidentId: r.id, system: e.system, externalId: e.id })),
  );
  await insertMany(db, incidentExternalIds, ['incidentId', 'system', 'externalId'], externalIds);
}

export type ImportRepository = ReturnType<typeof createImportRepository>;
