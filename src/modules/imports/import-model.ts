import type { z } from 'zod';
import type { FieldError } from '../../core/errors';
import { claimCreateSchema } from '../claims/claim-schemas';
import { incidentCreateSchema, type IncidentCreate } from '../incidents/incident-schemas';
import { sourceCreateSchema } from '../sources/source-schemas';

export interface ExternalId {
  system: string;
  id: string;
}

/** The incident fields a format may own; external ids are never replaced, only added to. */
export type OwnedField = Exclude<keyof IncidentCreate, 'external_ids'>;

/**
 * The incident fields an event dataset's row states in full (ACLED, and this API's own files, which add parent_id):
 * one the row leaves empty is cleared on re-import.
 */
export const EVENT_FIELDS: readonly OwnedField[] = [
  'title',
  'summary',
  'category',
  'subcategory',
  'occurred_from',
  'occurred_to',
  'date_precision',
  'country',
  'admin1',
  'admin2',
  'admin3',
  'place',
  'latitude',
  'longitude',
  'geo_precision',
  'actors',
  'tags',
];

/** Which of a row's statements a claim is: a source's report, or one of UCDP's low, best and high estimates. */
export type ClaimSlot = 'report' | 'low' | 'best' | 'high';

/** A claim as a file states it: the fields an import sets, and keeps in step with the file on re-import. */
export interface ImportedClaim {
  sourceName: string;
  slot: ClaimSlot;
  statement: string | null;
  published_at: string | null;
  killed: number | null;
  killed_civilians: number | null;
  killed_combatants: number | null;
  credibility: number;
}

/** One valid row of a file: the incident it describes and what its sources claim. */
export interface ImportRecord {
  row: number;
  /** The external id the row is reported under. */
  key: ExternalId;
  /** The column the external ids come from, for errors about them. */
  keyColumn: string;
  /** Every external id of the row; the row matches the incident carrying any of them. */
  externalIds: ExternalId[];
  incident: IncidentCreate;
  /** The fields the file speaks for: compared with the stored incident, and overwritten when they differ. */
  owned: readonly OwnedField[];
  claims: ImportedClaim[];
}

export interface RejectedRow {
  row: number;
  key: ExternalId | null;
  errors: FieldError[];
}

export type MappedRow = { record: ImportRecord } | { rejected: RejectedRow };

/** A draft row before validation by the API's own schemas. */
export interface DraftRecord {
  row: number;
  key: ExternalId | null;
  incident: Record<string, unknown>;
  owned: readonly OwnedField[];
  claims: ImportedClaim[];
}

// The claim schema needs an incident and a source; these stand in for the ones the import resolves later.
const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';

// Datasets cite a few thousand sources over and over; a name is checked against the schema once.
const validSourceNames = new Set<string>();
function rememberValidSourceName(name: string) {
  if (validSourceNames.size >= 100_000) validSourceNames.clear();
  validSourceNames.add(name);
}

/** Sources one row may name: enough for any dataset, and a bound on what one row writes. */
const MAX_SOURCES = 100;

type ColumnOf = (field: string) => string;

const pathOf = (path: PropertyKey[], columnOf: ColumnOf) => {
  const [field, ...rest] = path.map(String);
  return [columnOf(field ?? ''), ...rest].join('.');
};

/**
 * Validates a draft with the schemas of POST /v1/incidents, /v1/claims and /v1/sources, so an import accepts
 * exactly what the API accepts. Errors name the file's column where one field comes from one column.
 */
export function validateDraft(draft: DraftRecord, columnOf: ColumnOf, errors: FieldError[]): MappedRow {
  // A column the mapping could not read already has its error; the schema's about the same field adds nothing.
  const unreadable = new Set(errors.map((e) => e.path));
  const report = (issues: readonly z.core.$ZodIssue[]) => {
    for (const issue of issues) {
      // As in the API's validation errors, each unknown field is named in the path.
      const found =
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({ path: [...issue.path, key], message: `Unrecognized key: "${key}"` }))
          : [issue];
      for (const { path: at, message } of found) {
        const path = pathOf(at, columnOf);
        if (!unreadable.has(path.split('.')[0]!)) errors.push({ path, message });
      }
    }
  };
  const incident = incidentCreateSchema.safeParse(draft.incident);
  if (!incident.success) report(incident.error.issues);
  const names = new Set<string>();
  for (const claim of draft.claims) {
    if (!names.has(claim.sourceName)) {
      names.add(claim.sourceName);
      if (!validSourceNames.has(claim.sourceName)) {
        const source = sourceCreateSchema.safeParse({ name: claim.sourceName, kind: 'other' });
        if (source.success) rememberValidSourceName(claim.sourceName);
        else
          for (const issue of source.error.issues)
            errors.push({ path: columnOf('source'), message: `${claim.sourceName}: ${issue.message}` });
      }
    }
    const { sourceName: _name, slot: _slot, ...fields } = claim;
    const parsed = claimCreateSchema.safeParse({
      incident_id: PLACEHOLDER_ID,
      source_id: PLACEHOLDER_ID,
      ...fields,
    });
    if (!parsed.success) report(parsed.error.issues);
  }
  const key = draft.key ?? (incident.success ? incident.data.external_ids[0] : undefined) ?? null;
  const keyColumn = columnOf('external_ids');
  if (
    incident.success &&
    incident.data.external_ids.length === 0 &&
    !errors.some((e) => e.path === keyColumn)
  )
    errors.push({ path: keyColumn, message: 'must list at least one external id: rows are matched by them' });
  if (names.size > MAX_SOURCES)
    errors.push({ path: columnOf('source'), message: `names ${names.size} sources; at most ${MAX_SOURCES}` });
  const unique = dedupeErrors(errors);
  if (unique.length || !incident.success || !key) {
    return { rejected: { row: draft.row, key, errors: unique } };
  }
  return {
    record: {
      row: draft.row,
      key,
      keyColumn,
      externalIds: incident.data.external_ids,
      incident: incident.data,
      owned: draft.owned,
      claims: draft.claims,
    },
  };
}

/** The same message for the same column once: three claims of a row share their published_at. */
function dedupeErrors(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
