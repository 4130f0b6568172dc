import { isDeepStrictEqual } from 'node:util';
import type { NewIncidentRow } from '../../db/schema';
import type { IncidentLists } from '../incidents/incident-lists';
import type { IncidentRecord } from '../incidents/incident-repository';
import type { ImportRecord, OwnedField } from './import-model';

/** The incident a new row creates, and what a row changes in one stored already. */

type Derived = Pick<IncidentRecord, 'status' | 'casualties' | 'killedBest'>;
export type PendingIncident = Omit<IncidentRecord, 'ref' | 'createdAt' | 'updatedAt'>;

export function newIncident(record: ImportRecord, id: string, derived: Derived): PendingIncident {
  const incident = record.incident;
  return {
    id,
    title: incident.title,
    summary: incident.summary ?? null,
    category: incident.category,
    subcategory: incident.subcategory ?? null,
    occurredFrom: incident.occurred_from,
    occurredTo: incident.occurred_to ?? incident.occurred_from,
    datePrecision: incident.date_precision,
    country: incident.country ?? null,
    admin1: incident.admin1 ?? null,
    admin2: incident.admin2 ?? null,
    admin3: incident.admin3 ?? null,
    place: incident.place ?? null,
    latitude: incident.latitude ?? null,
    longitude: incident.longitude ?? null,
    geoPrecision: incident.geo_precision ?? null,
    parentId: incident.parent_id ?? null,
    duplicateOf: null,
    ...derived,
    verificationStatus: null,
    verificationRationale: null,
    verifiedBy: null,
    verifiedAt: null,
    version: 1,
    deletedAt: null,
    actors: incident.actors,
    tags: incident.tags,
    externalIds: incident.external_ids,
  };
}

/** Each field a row may own: its column (lists have none) and its stored value. */
const FIELDS: Record<OwnedField, { column?: keyof NewIncidentRow; stored: (r: IncidentRecord) => unknown }> =
  {
    title: { column: 'title', stored: (r) => r.title },
    summary: { column: 'summary', stored: (r) => r.summary },
    category: { column: 'category', stored: (r) => r.category },
    subcategory: { column: 'subcategory', stored: (r) => r.subcategory },
    occurred_from: { column: 'occurredFrom', stored: (r) => r.occurredFrom },
    occurred_to: { column: 'occurredTo', stored: (r) => r.occurredTo },
    date_precision: { column: 'datePrecision', stored: (r) => r.datePrecision },
    country: { column: 'country', stored: (r) => r.country },
    admin1: { column: 'admin1', stored: (r) => r.admin1 },
    admin2: { column: 'admin2', stored: (r) => r.admin2 },
    admin3: { column: 'admin3', stored: (r) => r.admin3 },
    place: { column: 'place', stored: (r) => r.place },
    latitude: { column: 'latitude', stored: (r) => r.latitude },
    longitude: { column: 'longitude', stored: (r) => r.longitude },
    geo_precision: { column: 'geoPrecision', stored: (r) => r.geoPrecision },
    parent_id: { column: 'parentId', stored: (r) => r.parentId },
    actors: { stored: (r) => r.actors },
    tags: { stored: (r) => r.tags },
  };

/** The value a row gives a field: left out means null (or an empty list), occurred_to means occurred_from. */
function wanted(record: ImportRecord, field: OwnedField): unknown {
  const incident = record.incident;
  if (field === 'occurred_to') return incident.occurred_to ?? incident.occurred_from;
  const value = incident[field];
  if (value !== undefined) return value;
  return field === 'actors' || field === 'tags' ? [] : null;
}

function same(field: OwnedField, a: unknown, b: unknown): boolean {
  // Tags are a set, which the database orders.
  if (field === 'tags') return isDeepStrictEqual([...(a as string[])].sort(), [...(b as string[])].sort());
  return isDeepStrictEqual(a, b);
}

/**
 * The columns and lists a row changes in a stored incident: the fields it owns where they differ, and its
 * external ids the incident lacks (they are added, never removed: other systems may know it too).
 */
export function incidentChanges(record: ImportRecord, current: IncidentRecord) {
  const values: Partial<NewIncidentRow> = {};
  const lists: IncidentLists = {
    actors: current.actors,
    tags: current.tags,
    externalIds: current.externalIds,
  };
  let listsChanged = false;
  for (const field of record.owned) {
    const value = wanted(record, field);
    const { column, stored } = FIELDS[field];
    if (same(field, value, stored(current))) continue;
    if (column) (values as Record<string, unknown>)[column] = value;
    else {
      (lists as unknown as Record<string, unknown>)[field] = value;
      listsChanged = true;
    }
  }
  const missing = record.externalIds.filter(
    (k) => !current.externalIds.some((e) => e.system === k.system && e.id === k.id),
  );
  if (missing.length) {
    lists.externalIds = [...current.externalIds, ...missing];
    listsChanged = true;
  }
  return { values, lists: listsChanged ? lists : undefined };
}
