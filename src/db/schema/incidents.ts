import { getTableColumns, sql } from 'drizzle-orm';
import {
  check,
  date,
  doublePrecision,
  foreignKey,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  ACTOR_ROLES,
  DATE_PRECISIONS,
  GEO_PRECISIONS,
  INCIDENT_CATEGORIES,
  INCIDENT_STATUSES,
  INCIDENT_SUBCATEGORIES,
} from '../../domain/vocabulary';
import type { Casualties } from '../../domain/casualties';
import { lifecycleColumns, oneOf, searchVectorOf, timestampColumn, tsvector } from './columns';

export const incidents = pgTable(
  'incidents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Human reference such as SYR-2025-000123, generated once at creation and never changed.
    ref: text('ref').notNull(),
    title: text('title').notNull(),
    summary: text('summary'),
    category: text('category').notNull(),
    subcategory: text('subcategory'),
    occurredFrom: date('occurred_from', { mode: 'string' }).notNull(),
    occurredTo: date('occurred_to', { mode: 'string' }).notNull(),
    datePrecision: text('date_precision').notNull().default('day'),
    country: text('country'),
    admin1: text('admin1'),
    admin2: text('admin2'),
    admin3: text('admin3'),
    place: text('place'),
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    geoPrecision: text('geo_precision'),
    // Part of a larger incident: the executions in one village within a two-day battle.
    parentId: uuid('parent_id'),
    // Set when this record is merged into another.
    duplicateOf: uuid('duplicate_of'),
    // Derived from the claims (SPEC §3); never written by clients.
    status: text('status').notNull().default('unverified'),
    casualties: jsonb('casualties').$type<Casualties>().notNull(),
    // The best estimate of killed, copied out of `casualties` for filtering and sorting.
    killedBest: integer('killed_best'),
    // A verifier's ruling (verified or discredited) overrides the rules until a verifier hands it back.
    verificationStatus: text('verification_status'),
    verificationRationale: text('verification_rationale'),
    verifiedBy: text('verified_by'),
    verifiedAt: timestampColumn('verified_at'),
    ...lifecycleColumns(),
    // The lists as the representation gives them, kept on the record so that a read or an export needs no lookup
    // per record. The list tables below hold the same entries, one row each, for the filters and the uniqueness
    // of external ids; every write of a list writes both in one statement or transaction (see incident-lists.ts).
    actors: json('actors')
      .$type<{ name: string; role: string }[]>()
      .notNull()
      .default(sql`'[]'::json`),
    tags: json('tags')
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'::json`),
    externalIds: json('external_ids')
      .$type<{ system: string; id: string }[]>()
      .notNull()
      .default(sql`'[]'::json`),
    searchVector: tsvector('search_vector').generatedAlwaysAs(
      searchVectorOf(`coalesce(title, '') || ' ' || coalesce(summary, '') || ' ' || coalesce(place, '')`),
    ),
  },
  (t) => [
    unique('incidents_ref_key').on(t.ref),
    foreignKey({ name: 'incidents_parent_fk', columns: [t.parentId], foreignColumns: [t.id] }),
    foreignKey({ name: 'incidents_duplicate_of_fk', columns: [t.duplicateOf], foreignColumns: [t.id] }),
    check('incidents_category_check', oneOf(t.category, INCIDENT_CATEGORIES)),
    check('incidents_subcategory_check', oneOf(t.subcategory, INCIDENT_SUBCATEGORIES)),
    check('incidents_date_precision_check', oneOf(t.datePrecision, DATE_PRECISIONS)),
    check('incidents_geo_precision_check', oneOf(t.geoPrecision, GEO_PRECISIONS)),
    check('incidents_status_check', oneOf(t.status, INCIDENT_STATUSES)),
    check('incidents_verification_status_check', sql`${t.verificationStatus} IN ('verified', 'discredited')`),
    check(
      'incidents_verification_rationale_check',
      sql`${t.verificationStatus} IS NULL OR length(btrim(${t.verificationRationale})) > 0`,
    ),
    check('incidents_occurred_range_check', sql`${t.occurredTo} >= ${t.occurredFrom}`),
    check('incidents_country_check', sql`${t.country} ~ '^[A-Z]{3}$'`),
    check('incidents_latitude_check', sql`${t.latitude} BETWEEN -90 AND 90`),
    check('incidents_longitude_check', sql`${t.longitude} BETWEEN -180 AND 180`),
    check('incidents_coordinates_pair_check', sql`(${t.latitude} IS NULL) = (${t.longitude} IS NULL)`),
    check('incidents_not_own_parent_check', sql`${t.parentId} <> ${t.id}`),
    check('incidents_title_check', sql`length(btrim(${t.title})) > 0`),
    index('incidents_occurred_from_id_idx').on(t.occurredFrom, t.id),
    index('incidents_created_at_id_idx').on(t.createdAt, t.id),
    index('incidents_updated_at_id_idx').on(t.updatedAt, t.id),
    index('incidents_country_occurred_from_idx').on(t.country, t.occurredFrom, t.id),
    index('incidents_admin1_occurred_from_idx').on(t.admin1, t.occurredFrom, t.id),
    index('incidents_category_occurred_from_idx').on(t.category, t.occurredFrom, t.id),
    index('incidents_parent_id_idx').on(t.parentId),
    index('incidents_search_idx').using('gin', t.searchVector),
    index('incidents_latitude_longitude_idx').on(t.latitude, t.longitude),
    // Sorting by killed puts incidents with no figure last (as -1), with a total order by id.
    index('incidents_killed_best_idx').on(sql`coalesce(${t.killedBest}, -1)`, t.id),
  ],
);

export const incidentActors = pgTable(
  'incident_actors',
  {
    incidentId: uuid('incident_id').notNull(),
    // Keeps the order the actors were given in.
    position: smallint('position').notNull(),
    name: text('name').notNull(),
    role: text('role').notNull(),
  },
  (t) => [
    primaryKey({ name: 'incident_actors_pkey', columns: [t.incidentId, t.position] }),
    foreignKey({
      name: 'incident_actors_incident_fk',
      columns: [t.incidentId],
      foreignColumns: [incidents.id],
    }).onDelete('cascade'),
    check('incident_actors_role_check', oneOf(t.role, ACTOR_ROLES)),
    index('incident_actors_name_idx').on(sql`lower(${t.name})`),
  ],
);

export const incidentTags = pgTable(
  'incident_tags',
  {
    incidentId: uuid('incident_id').notNull(),
    tag: text('tag').notNull(),
  },
  (t) => [
    primaryKey({ name: 'incident_tags_pkey', columns: [t.incidentId, t.tag] }),
    foreignKey({
      name: 'incident_tags_incident_fk',
      columns: [t.incidentId],
      foreignColumns: [incidents.id],
    }).onDelete('cascade'),
    index('incident_tags_tag_idx').on(t.tag),
  ],
);

export const incidentExternalIds = pgTable(
  'incident_external_ids',
  {
    incidentId: uuid('incident_id').notNull(),
    // The other system's name, e.g. acled or ucdp_ged; an id is unique within its system.
    system: text('system').notNull(),
    externalId: text('external_id').notNull(),
  },
  (t) => [
    primaryKey({ name: 'incident_external_ids_system_id_key', columns: [t.system, t.externalId] }),
    foreignKey({
      name: 'incident_external_ids_incident_fk',
      columns: [t.incidentId],
      foreignColumns: [incidents.id],
    }).onDelete('cascade'),
    index('incident_external_ids_incident_id_idx').on(t.incidentId),
  ],
);

/** One counter per ref prefix (country and year), so refs read SYR-2025-000001, SYR-2025-000002, … */
export const incidentRefCounters = pgTable('incident_ref_counters', {
  prefix: text('prefix').primaryKey(),
  lastValue: integer('last_value').notNull(),
});

/** Every column a record read needs: all but the search vector, which only filters. */
const { searchVector: _incidentSearch, ...incidentRecordColumns } = getTableColumns(incidents);
export { incidentRecordColumns };

export type IncidentRow = Omit<typeof incidents.$inferSelect, 'searchVector'>;
export type NewIncidentRow = typeof incidents.$inferInsert;
