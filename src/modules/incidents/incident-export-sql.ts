import { sql, type SQL } from 'drizzle-orm';
import { FIGURES } from '../../domain/vocabulary';
import type { Format } from '../../http/formats';
import { INCIDENT_CSV } from './incident-formats';
import type { IncidentDto } from './incident-schemas';

/**
 * The incident representation written by PostgreSQL itself, for exports on the server: the database sends one
 * finished line per record and the process only passes it on. This mirrors `toIncidentDto` and `INCIDENT_CSV`
 * field for field, and a test compares both paths' output for every format.
 */

/** A timestamp as the API writes it everywhere else: JavaScript's toISOString (UTC, milliseconds, Z). */
const iso = (column: string) =>
  sql.raw(`to_char(incidents.${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

const column = (name: string) => sql.raw(`incidents.${name}`);

/** A verifier's ruling; its rationale only for a viewer who may see it (contributor and above). */
const ruling = (withRationale: boolean) =>
  sql.raw(
    `CASE WHEN incidents.verification_status IS NULL THEN NULL ELSE (SELECT row_to_json(v) FROM (SELECT incidents.verification_status AS status, ${withRationale ? "coalesce(incidents.verification_rationale, '')" : 'NULL::text'} AS rationale, coalesce(incidents.verified_by, 'anonymous') AS verified_by, to_char(incidents.verified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS verified_at) v) END`,
  );

/** The JSON value of each field of the representation, in the order `toIncidentDto` writes them. */
const JSON_FIELDS: Record<keyof IncidentDto & string, SQL> = {
  id: column('id'),
  ref: column('ref'),
  title: column('title'),
  summary: column('summary'),
  category: column('category'),
  subcategory: column('subcategory'),
  occurred_from: column('occurred_from'),
  occurred_to: column('occurred_to'),
  date_precision: column('date_precision'),
  country: column('country'),
  admin1: column('admin1'),
  admin2: column('admin2'),
  admin3: column('admin3'),
  place: column('place'),
  latitude: column('latitude'),
  longitude: column('longitude'),
  geo_precision: column('geo_precision'),
  // Stored as the representation gives them (see incident-lists.ts): copied out as they are.
  actors: column('actors'),
  tags: column('tags'),
  parent_id: column('parent_id'),
  duplicate_of: column('duplicate_of'),
  external_ids: column('external_ids'),
  status: column('status'),
  casualties: column('casualties'),
  verification: ruling(true),
  created_at: iso('created_at'),
  updated_at: iso('updated_at'),
  version: column('version'),
  deleted_at: iso('deleted_at'),
};

/** The fields a line carries: all, or the id and the ones asked for, in the representation's order. */
function selectedFields(fields: readonly string[] | undefined): string[] {
  const all = Object.keys(JSON_FIELDS);
  if (!fields?.length) return all;
  return all.filter((f) => f === 'id' || fields.includes(f));
}

const identifier = (name: string) => sql.raw(`"${name.replace(/"/g, '""')}"`);

/** A lateral row `r` with one column per selected field, which row_to_json turns into the record's object. */
function recordRow(fields: readonly string[] | undefined, withRationale: boolean): SQL {
  const names = selectedFields(fields);
  const columns = names.map(
    (name) =>
      sql`${name === 'verification' ? ruling(withRationale) : JSON_FIELDS[name as keyof typeof JSON_FIELDS]} AS ${identifier(name)}`,
  );
  return sql`(SELECT ${sql.join(columns, sql`, `)}) r`;
}

/**
 * CSV cells, written by csv-stringify as for a list. Most are text already; coordinates stay numbers, because
 * JavaScript and PostgreSQL spell some floats differently (1e-7 and 1e-07).
 */
const CSV_CELLS: Record<string, SQL> = {
  ...Object.fromEntries(
    INCIDENT_CSV.map((c) => c.name)
      .filter((name) => name in JSON_FIELDS)
      .map((name) => [name, sql`${JSON_FIELDS[name as keyof typeof JSON_FIELDS]}::text`]),
  ),
  ...Object.fromEntries(
    FIGURES.flatMap((figure) =>
      (['low', 'best', 'high'] as const).map((bound) => [
        `${figure}_${bound}`,
        sql.raw(`incidents.casualties -> '${figure}' ->> '${bound}'`),
      ]),
    ),
  ),
  // From the stored lists, in their order; an empty list is an empty cell.
  actors: sql.raw(
    `(SELECT string_agg((a ->> 'name') || ' (' || (a ->> 'role') || ')', '; ' ORDER BY n) FROM json_array_elements(incidents.actors) WITH ORDINALITY AS x(a, n))`,
  ),
  tags: sql.raw(
    `(SELECT string_agg(t, '; ' ORDER BY n) FROM json_array_elements_text(incidents.tags) WITH ORDINALITY AS x(t, n))`,
  ),
  external_ids: sql.raw(
    `(SELECT string_agg((e ->> 'system') || ':' || (e ->> 'id'), '; ' ORDER BY n) FROM json_array_elements(incidents.external_ids) WITH ORDINALITY AS x(e, n))`,
  ),
  verification: column('verification_status'),
  latitude: column('latitude'),
  longitude: column('longitude'),
};

/**
 * What one exported row selects, from the incidents table: for JSON-like formats a single text
 * column holding the record (or GeoJSON Feature); for CSV one column per CSV column (null for an empty cell).
 */
export function incidentExportColumns(
  format: Format,
  fields: readonly string[] | undefined,
  csvColumns: readonly string[],
  withRationale: boolean,
): { select: SQL; lateral?: SQL } {
  if (format === 'csv') {
    return {
      select: sql.join(
        csvColumns.map((name) => CSV_CELLS[name]!),
        sql`, `,
      ),
    };
  }
  if (format === 'geojson') {
    return {
      select: sql.raw(
        `(SELECT row_to_json(f)::text FROM (SELECT 'Feature' AS type, incidents.id, CASE WHEN incidents.latitude IS NULL OR incidents.longitude IS NULL THEN NULL ELSE json_build_object('type', 'Point', 'coordinates', json_build_array(incidents.longitude, incidents.latitude)) END AS geometry, r AS properties) f)`,
      ),
      lateral: recordRow(fields, withRationale),
    };
  }
  return { select: sql`row_to_json(r)::text`, lateral: recordRow(fields, withRationale) };
}
