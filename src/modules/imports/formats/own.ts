import { FIGURES } from '../../../domain/vocabulary';
import type { FieldError } from '../../../core/errors';
import { restoreCell } from '../../../http/formats';
import { decimalCell, listCell, textCell } from '../cells';
import {
  EVENT_FIELDS,
  validateDraft,
  type ExternalId,
  type MappedRow,
  type OwnedField,
} from '../import-model';
import type { CsvFormat } from './csv-format';

/**
 * The API's own incident representation, as GET /v1/export/incidents writes it in NDJSON or CSV: the fields of
 * POST /v1/incidents, matched by their external ids. The fields the server owns (id, ref, status, casualties,
 * verification, duplicate_of, version and the timestamps) are read and ignored, so an export can be imported
 * as it is; a deleted record (deleted_at set) is refused.
 */

const READ_ONLY = new Set([
  'id',
  'ref',
  'status',
  'casualties',
  'verification',
  'duplicate_of',
  'created_at',
  'updated_at',
  'version',
  'deleted_at',
]);

/** The file speaks for every writable field: one left out is cleared, as in a full replacement. */
const OWNED: readonly OwnedField[] = [...EVENT_FIELDS, 'parent_id'];

function keyOf(value: Record<string, unknown>): ExternalId | null {
  const first = Array.isArray(value.external_ids) ? (value.external_ids[0] as unknown) : undefined;
  if (first && typeof first === 'object') {
    const { system, id } = first as Record<string, unknown>;
    if (typeof system === 'string' && typeof id === 'string') return { system, id };
  }
  return null;
}

/** One incident of an NDJSON line or a CSV row, in the API's representation. */
export function mapIncident(value: unknown, row: number, errors: FieldError[] = []): MappedRow {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { rejected: { row, key: null, errors: [{ path: 'row', message: 'must be a JSON object' }] } };
  }
  const record = value as Record<string, unknown>;
  const key = keyOf(record);
  if (record.deleted_at !== null && record.deleted_at !== undefined) {
    const message = 'is set: a deleted record is not imported';
    return { rejected: { row, key, errors: [{ path: 'deleted_at', message }] } };
  }
  const incident = Object.fromEntries(Object.entries(record).filter(([field]) => !READ_ONLY.has(field)));
  return validateDraft({ row, key, incident, owned: OWNED, claims: [] }, (field) => field, errors);
}

const ACTOR = /^(.+) \((perpetrator|target|other)\)$/;

/** A CSV row of the incident export, turned back into the representation. */
function mapRow(written: Record<string, string>, row: number): MappedRow {
  // Cells as the export neutralised them for spreadsheets (a leading quote before =, +, -, @…) are read back as
  // they were stored.
  const cells = Object.fromEntries(
    Object.entries(written).map(([column, cell]) => [column, restoreCell(cell)]),
  );
  const errors: FieldError[] = [];
  const nullable = (column: string) => (column in cells ? textCell(cells[column]) : undefined);
  const actors = listCell(cells.actors).map((entry) => {
    const match = ACTOR.exec(entry);
    if (!match) errors.push({ path: 'actors', message: `${JSON.stringify(entry)} is not "name (role)"` });
    return match ? { name: match[1], role: match[2] } : undefined;
  });
  const externalIds = listCell(cells.external_ids).map((entry) => {
    const colon = entry.indexOf(':');
    if (colon < 1)
      errors.push({ path: 'external_ids', message: `${JSON.stringify(entry)} is not "system:id"` });
    return colon < 1 ? undefined : { system: entry.slice(0, colon), id: entry.slice(colon + 1) };
  });
  const value: Record<string, unknown> = {
    title: cells.title ?? '',
    summary: nullable('summary'),
    category: textCell(cells.category) ?? undefined,
    subcategory: nullable('subcategory'),
    occurred_from: textCell(cells.occurred_from) ?? undefined,
    occurred_to: textCell(cells.occurred_to) ?? undefined,
    date_precision: textCell(cells.date_precision) ?? undefined,
    country: nullable('country'),
    admin1: nullable('admin1'),
    admin2: nullable('admin2'),
    admin3: nullable('admin3'),
    place: nullable('place'),
    latitude: 'latitude' in cells ? decimalCell(cells.latitude, 'latitude', errors) : undefined,
    longitude: 'longitude' in cells ? decimalCell(cells.longitude, 'longitude', errors) : undefined,
    geo_precision: nullable('geo_precision'),
    actors: actors.filter(Boolean),
    tags: listCell(cells.tags),
    parent_id: nullable('parent_id'),
    external_ids: externalIds.filter(Boolean),
    deleted_at: nullable('deleted_at'),
  };
  const present = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
  return mapIncident(present, row, errors);
}

/** The columns of the incident CSV export; the writable ones are read, the others ignored. */
export const ownCsvFormat: CsvFormat = {
  required: ['title', 'category', 'occurred_from', 'external_ids'],
  allowed: [
    ...OWNED,
    ...READ_ONLY,
    ...FIGURES.flatMap((figure) => [`${figure}_low`, `${figure}_best`, `${figure}_high`]),
  ].filter((column) => column !== 'casualties'),
  mapRow,
};
