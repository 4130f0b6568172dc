import { z } from 'zod';
import {
  ACTOR_ROLES,
  DATE_PRECISIONS,
  FIGURES,
  GEO_PRECISIONS,
  INCIDENT_CATEGORIES,
  INCIDENT_STATUSES,
  INCIDENT_SUBCATEGORIES,
} from '../../domain/vocabulary';
import {
  countryCode,
  dateInput,
  dateOutput,
  lifecycleFields,
  queryBoolean,
  queryList,
  requiredText,
  text,
  timestampInput,
  uuid,
} from '../../http/fields';
import { formatQueryFields } from '../../http/formats';
import { countQuerySchema, pageQuerySchema, pageSchema } from '../../core/paging';
import {
  incidentCreateExample,
  incidentExample,
  incidentPatchExample,
  pageExample,
  verificationRequestExample,
} from '../demo/demo-examples';

const category = z.enum(INCIDENT_CATEGORIES);
const subcategory = z.enum(INCIDENT_SUBCATEGORIES);

export const actorSchema = z
  .strictObject({
    name: requiredText(300),
    role: z.enum(ACTOR_ROLES).describe('perpetrator, target or other'),
  })
  .meta({ id: 'Actor' });

export const externalIdSchema = z
  .strictObject({
    system: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be a lower-case system name such as acled or ucdp_ged')
      .describe('The other system, e.g. acled, ucdp_ged'),
    id: requiredText(200).describe('The record id in that system'),
  })
  .meta({
    id: 'ExternalId',
    description: 'An id of the same incident in another system; unique per system.',
  });

const unique = <T>(key: (item: T) => string, what: string) =>
  [
    (items: T[]) => new Set(items.map(key)).size === items.length,
    `must not list the same ${what} twice`,
  ] as const;

const tag = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[\p{L}\p{N}][\p{L}\p{N}_:.\- ]*$/u,
    'must start with a letter or digit and use letters, digits, _ : . - or space',
  );

const writableFields = {
  title: requiredText(500),
  summary: text(20_000).nullable(),
  category,
  subcategory: subcategory.nullable(),
  occurred_from: dateInput.describe('First day of the incident'),
  occurred_to: dateInput.describe('Last day of the incident; defaults to occurred_from'),
  date_precision: z.enum(DATE_PRECISIONS).describe('How precisely the dates are known'),
  country: countryCode.nullable(),
  admin1: text(200).nullable().describe('First-level administrative division (province, governorate)'),
  admin2: text(200).nullable(),
  admin3: text(200).nullable(),
  place: text(300).nullable().describe('Town, village or site'),
  latitude: z.number().min(-90).max(90).nullable(),
  longitude: z.number().min(-180).max(180).nullable(),
  geo_precision: z
    .enum(GEO_PRECISIONS)
    .nullable()
    .describe('How precisely the coordinates place the incident'),
  actors: z
    .array(actorSchema)
    .max(200)
    .refine(...unique((a: { name: string; role: string }) => `${a.role}\u0000${a.name}`, 'actor and role')),
  tags: z
    .array(tag)
    .max(100)
    .refine(...unique((t: string) => t, 'tag')),
  parent_id: uuid.nullable().describe('The larger incident this one is part of'),
  external_ids: z
    .array(externalIdSchema)
    .max(50)
    .refine(...unique((e: { system: string }) => e.system, 'system')),
};

/** Both coordinates or neither: null and absent both mean "no coordinates". */
const coordinatesPaired = (v: { latitude?: number | null; longitude?: number | null }) =>
  (v.latitude == null) === (v.longitude == null);

export const incidentCreateSchema = z
  .strictObject({
    ...writableFields,
    summary: writableFields.summary.optional(),
    subcategory: writableFields.subcategory.optional(),
    occurred_to: writableFields.occurred_to.optional(),
    date_precision: writableFields.date_precision.default('day'),
    country: writableFields.country.optional(),
    admin1: writableFields.admin1.optional(),
    admin2: writableFields.admin2.optional(),
    admin3: writableFields.admin3.optional(),
    place: writableFields.place.optional(),
    latitude: writableFields.latitude.optional(),
    longitude: writableFields.longitude.optional(),
    geo_precision: writableFields.geo_precision.optional(),
    actors: writableFields.actors.default([]),
    tags: writableFields.tags.default([]),
    parent_id: writableFields.parent_id.optional(),
    external_ids: writableFields.external_ids.default([]),
  })
  .refine((v) => v.occurred_to === undefined || v.occurred_to >= v.occurred_from, {
    message: 'must not be before occurred_from',
    path: ['occurred_to'],
  })
  .refine(coordinatesPaired, {
    message: 'latitude and longitude must be given together',
    path: ['longitude'],
  })
  .meta({
    id: 'IncidentCreate',
    description: 'A new incident. The server owns id, ref, status, casualties, version and timestamps.',
    examples: [incidentCreateExample],
  });

export const incidentPatchSchema = z
  .strictObject(writableFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'must change at least one field')
  .refine((v) => !v.occurred_from || !v.occurred_to || v.occurred_to >= v.occurred_from, {
    message: 'must not be before occurred_from',
    path: ['occurred_to'],
  })
  .meta({
    id: 'IncidentPatch',
    description: 'The fields to change; lists given replace the stored list.',
    examples: [incidentPatchExample],
  });

export const figureEstimateSchema = z
  .object({
    low: z.number().int(),
    best: z.number().int(),
    high: z.number().int(),
    claims: z.number().int().describe('How many counted claims state this figure'),
    low_claim_id: uuid,
    best_claim_id: uuid,
    high_claim_id: uuid,
  })
  .meta({ id: 'FigureEstimate' });

export const casualtiesSchema = z
  .object({
    method: z.string().describe('Version of the estimation rule'),
    ...Object.fromEntries(FIGURES.map((f) => [f, figureEstimateSchema.nullable()])),
  } as { method: z.ZodString } & Record<(typeof FIGURES)[number], z.ZodNullable<typeof figureEstimateSchema>>)
  .meta({
    id: 'Casualties',
    description:
      'Derived from the accepted supporting claims: per figure the lowest, best (highest-ranked claim) and highest value, with the claims that set them; null when no claim states it.',
  });

export const verificationSchema = z
  .object({
    status: z.enum(['verified', 'discredited']),
    rationale: z
      .string()
      .nullable()
      .describe('Why the verifier ruled so; withheld (null) below contributor, as it often names a source'),
    verified_by: z.string().describe('The API key (or anonymous) that made the ruling'),
    verified_at: z.iso.datetime(),
  })
  .meta({ id: 'Verification' });

export const verificationRequestSchema = z
  .strictObject({
    status: z
      .enum(['verified', 'discredited', 'auto'])
      .describe('verified or discredited override the rules; auto hands the status back to them'),
    rationale: requiredText(10_000).describe('Why: required, kept in the history'),
  })
  .meta({ id: 'VerificationRequest', examples: [verificationRequestExample] });

export const incidentSchema = z
  .object({
    id: uuid,
    ref: z.string().describe('Human reference, e.g. SYR-2025-000123'),
    title: z.string(),
    summary: z.string().nullable(),
    category,
    subcategory: subcategory.nullable(),
    occurred_from: dateOutput,
    occurred_to: dateOutput,
    date_precision: z.enum(DATE_PRECISIONS),
    country: z.string().nullable(),
    admin1: z.string().nullable(),
    admin2: z.string().nullable(),
    admin3: z.string().nullable(),
    place: z.string().nullable(),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    geo_precision: z.enum(GEO_PRECISIONS).nullable(),
    actors: z.array(actorSchema),
    tags: z.array(z.string()),
    parent_id: uuid.nullable(),
    duplicate_of: uuid.nullable().describe('Set when this incident was merged into another'),
    external_ids: z.array(externalIdSchema),
    status: z
      .enum(INCIDENT_STATUSES)
      .describe(
        'unverified, corroborated (accepted support from two independence groups), disputed (accepted claims both support and contradict), or a verifier’s verified / discredited',
      ),
    verification: verificationSchema
      .nullable()
      .describe('The verifier’s ruling that sets status, if any; null while status follows the rules'),
    casualties: casualtiesSchema,
    ...lifecycleFields,
  })
  .meta({ id: 'Incident', examples: [incidentExample] });

export const INCIDENT_SORTS = [
  'occurred_from',
  '-occurred_from',
  'created_at',
  '-created_at',
  'updated_at',
  '-updated_at',
  'killed',
  '-killed',
  'relevance',
] as const;

const numberList = (count: number, what: string) =>
  z
    .string()
    .max(200)
    .transform((v, ctx) => {
      const parts = v.split(',').map((p) => Number(p.trim()));
      if (parts.length !== count || parts.some((n) => !Number.isFinite(n)) || v.trim() === '') {
        ctx.addIssue({ code: 'custom', message: `must be ${what}` });
        return z.NEVER;
      }
      return parts;
    });

/** The incident filters shared by lists, exports and statistics (SPEC §5). */
export const incidentFilterFields = {
  include_deleted: queryBoolean
    .optional()
    .describe('true to include deleted records (as tombstones with deleted_at)'),
  q: text(500)
    .refine((s) => s.trim().length > 0, 'must not be blank')
    .optional()
    .describe(
      'Full-text search over title, summary, place and the statements of live claims; web-search syntax: "exact phrase", or, -exclude. Arabic spelling variants (hamza and alef forms, taa marbuta, alef maqsura, diacritics, the article) and English inflections match; an exact match ranks first. Ranked by relevance, a list ranks at most the first 2,000 matches the index yields.',
    ),
  category: queryList(category).optional().describe('One or more categories, comma-separated'),
  subcategory: queryList(subcategory).optional().describe('One or more subcategories, comma-separated'),
  status: queryList(z.enum(INCIDENT_STATUSES)).optional().describe('One or more statuses, comma-separated'),
  country: queryList(countryCode)
    .optional()
    .describe('One or more ISO 3166-1 alpha-3 codes, comma-separated'),
  admin1: text(200).optional().describe('Exact first-level administrative division'),
  admin2: text(200).optional().describe('Exact second-level administrative division'),
  place: text(300).optional().describe('Place name, case-insensitive'),
  from: dateInput.optional().describe('Incidents whose occurred range ends on or after this date'),
  to: dateInput.optional().describe('Incidents whose occurred range starts on or before this date'),
  bbox: numberList(4, 'minLon,minLat,maxLon,maxLat')
    .refine(
      ([minLon, minLat, maxLon, maxLat]) =>
        minLon! >= -180 &&
        maxLon! <= 180 &&
        minLon! <= 180 &&
        maxLon! >= -180 &&
        minLat! >= -90 &&
        maxLat! <= 90 &&
        minLat! <= maxLat!,
      'must be minLon,minLat,maxLon,maxLat within ±180/±90 with minLat ≤ maxLat (minLon > maxLon crosses the antimeridian)',
    )
    .optional()
    .describe('Bounding box minLon,minLat,maxLon,maxLat (WGS 84)'),
  near: numberList(2, 'lat,lon')
    .refine(([lat, lon]) => Math.abs(lat!) <= 90 && Math.abs(lon!) <= 180, 'must be lat,lon within ±90/±180')
    .optional()
    .describe('lat,lon of a point; with radius_km, incidents within that great-circle distance'),
  radius_km: z.coerce.number().gt(0).max(20_040).optional().describe('Radius around near, in kilometres'),
  actor: text(300).optional().describe('An actor’s name, case-insensitive exact match'),
  source_id: uuid.optional().describe('Incidents with at least one live claim from this source'),
  tag: queryList(text(100).min(1)).optional().describe('Incidents carrying any of these tags'),
  min_killed: z.coerce
    .number()
    .int()
    .min(0)
    .max(2_147_483_647)
    .optional()
    .describe('Best estimate of killed at least this'),
  updated_since: timestampInput.optional().describe('Incidents changed at or after this time (RFC 3339)'),
};

type FilterInput = { from?: string; to?: string; near?: number[]; radius_km?: number };

export const filterRefinements = <T extends z.ZodType<FilterInput>>(schema: T) =>
  schema
    .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'must not be after to', path: ['from'] })
    .refine((q) => (q.near === undefined) === (q.radius_km === undefined), {
      message: 'near and radius_km go together',
      path: ['radius_km'],
    });

export const incidentFiltersQuery = filterRefinements(z.object(incidentFilterFields));

export const incidentListQuery = filterRefinements(
  z.object({
    ...pageQuerySchema,
    ...countQuerySchema,
    ...incidentFilterFields,
    ...formatQueryFields(Object.keys(incidentSchema.shape) as [string, ...string[]], true),
    sort: z
      .enum(INCIDENT_SORTS)
      .optional()
      .describe(
        'Order; a leading - means descending. Default: relevance when q is given, else -occurred_from. killed sorts by the best estimate, incidents without one last.',
      ),
  }),
).refine((q) => q.sort !== 'relevance' || q.q !== undefined, {
  message: 'relevance needs q',
  path: ['sort'],
});

/** The list's filters, formats and sorts without paging: exports read everything. */
export const incidentExportQuery = filterRefinements(
  z.object({
    ...incidentFilterFields,
    ...formatQueryFields(Object.keys(incidentSchema.shape) as [string, ...string[]], true),
    sort: z.enum(INCIDENT_SORTS).optional().describe('Order, as for the list'),
  }),
).refine((q) => q.sort !== 'relevance' || q.q !== undefined, {
  message: 'relevance needs q',
  path: ['sort'],
});

export const incidentPageSchema = pageSchema(incidentSchema, 'IncidentPage', pageExample(incidentExample));

export type IncidentCreate = z.output<typeof incidentCreateSchema>;
export type IncidentPatch = z.output<typeof incidentPatchSchema>;
export type IncidentDto = z.output<typeof incidentSchema>;
export type IncidentListQuery = z.output<typeof incidentListQuery>;
export type IncidentFilters = z.output<typeof incidentFiltersQuery>;
export type VerificationRequest = z.output<typeof verificationRequestSchema>;
export type IncidentSort = (typeof INCIDENT_SORTS)[number];
