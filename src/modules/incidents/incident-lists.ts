import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client';
import type { IncidentRow } from '../../db/schema';

/** An incident's lists, stored on its row. */
export type IncidentLists = Pick<IncidentRow, 'actors' | 'tags' | 'externalIds'>;

/**
 * An incident's actors, tags and external ids are stored twice: as JSON on the incident row, which reads and
 * exports copy out as they are, and one row per entry in the list tables, which the filters and the uniqueness of
 * external ids use. Both are written in the same transaction, the JSON in one of the two ways below, which give
 * the same text for the same entries:
 * - from the list tables, after a write changed them (creates and edits through the API, import updates);
 * - from the JSON values an import inserts, in the INSERT of the incidents themselves (sorted there by
 *   PostgreSQL where the order depends on its collation).
 * The order is the representation's: actors as given, tags by the database's collation, external ids by system
 * then id. The JSON is compact (array_to_json of records), never with line breaks, as NDJSON needs.
 */

/**
 * The three stored lists of the incident whose id is the SQL expression `id`, computed from the list tables, as
 * SQL text (the benchmark's data generator uses it too).
 */
export function listsFromTablesText(id: string) {
  return {
    actors: `coalesce((SELECT array_to_json(array_agg(r ORDER BY a.position)) FROM incident_actors a CROSS JOIN LATERAL (SELECT a.name, a.role) r WHERE a.incident_id = ${id}), '[]'::json)`,
    tags: `coalesce((SELECT array_to_json(array_agg(t.tag ORDER BY t.tag)) FROM incident_tags t WHERE t.incident_id = ${id}), '[]'::json)`,
    externalIds: `coalesce((SELECT array_to_json(array_agg(r ORDER BY e.system, e.external_id)) FROM incident_external_ids e CROSS JOIN LATERAL (SELECT e.system, e.external_id AS id) r WHERE e.incident_id = ${id}), '[]'::json)`,
  };
}

/**
 * The same lists from JSON values (expressions of type json, written by JSON.stringify) holding `[{name, role}]`,
 * `[tag]` and `[{system, id}]`, as the list tables would give them once those entries are inserted. Where the
 * order is already the representation's (actors, and lists of fewer than two entries) the value is kept as it
 * came: compact JSON with the keys in that order, which is the text array_to_json writes for the same entries.
 */
export function listsFromJson(actors: SQL, tags: SQL, externalIds: SQL) {
  return {
    actors: sql`${actors}`,
    tags: sql`CASE WHEN json_array_length(${tags}) < 2 THEN ${tags} ELSE (SELECT array_to_json(array_agg(t ORDER BY t)) FROM json_array_elements_text(${tags}) AS t) END`,
    externalIds: sql`CASE WHEN json_array_length(${externalIds}) < 2 THEN ${externalIds} ELSE (SELECT array_to_json(array_agg(r ORDER BY e.system, e.id)) FROM json_to_recordset(${externalIds}) AS e(system text, id text) CROSS JOIN LATERAL (SELECT e.system, e.id) r) END`,
  };
}

/** Rewrites the stored lists of these incidents from the list tables; returns them as stored, by incident id. */
export async function storeListsFromTables(db: Executor, ids: string[]): Promise<Map<string, IncidentLists>> {
  if (ids.length === 0) return new Map();
  const lists = listsFromTablesText('incidents.id');
  const rows = await queryRows<{ id: string } & Record<'actors' | 'tags' | 'external_ids', string>>(
    db,
    sql`UPDATE incidents SET actors = ${sql.raw(lists.actors)}, tags = ${sql.raw(lists.tags)}, external_ids = ${sql.raw(lists.externalIds)}
        WHERE id IN (SELECT json_array_elements_text(${JSON.stringify(ids)}::json)::uuid)
        RETURNING id, actors::text, tags::text, external_ids::text`,
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        actors: JSON.parse(r.actors) as IncidentLists['actors'],
        tags: JSON.parse(r.tags) as IncidentLists['tags'],
        externalIds: JSON.parse(r.external_ids) as IncidentLists['externalIds'],
      },
    ]),
  );
}
