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
  uuid,
} from '../../http/fields';
import { pageQuerySchema, pageSchema } from '../../http/pagination';

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

const coordinatesPaired = (v: { latitude?: number | null; longitude?: number | null }) =>
  (v.latitude === undefined) === (v.longitude === undefined) &&
  (v.latitude === null) === (v.longitude === null);

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
  });

export const incidentPatchSchema = z
  .strictObject(writableFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'must change at least one field')
  .refine((v) => !v.occurred_from || !v.occurred_to || v.occurred_to >= v.occurred_from, {
    message: 'must not be before occurred_from',
    path: ['occurred_to'],
  })
  .meta({ id: 'IncidentPatch', description: 'The fields to change; lists given replace the stored list.' });

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
    rationale: z.string(),
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
  .meta({ id: 'VerificationRequest' });

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
  .meta({ id: 'Incident' });

export const INCIDENT_SORTS = [
  'occurred_from',
  '-occurred_from',
  'created_at',
  '-created_at',
  'updated_at',
  '-updated_at',
] as const;

export const incidentListQuery = z
  .object({
    ...pageQuerySchema,
    include_deleted: queryBoolean
      .optional()
      .describe('true to list deleted records too (as tombstones with deleted_at)'),
    country: queryList(countryCode)
      .optional()
      .describe('One or more ISO 3166-1 alpha-3 codes, comma-separated'),
    admin1: text(200).optional(),
    category: queryList(category).optional().describe('One or more categories, comma-separated'),
    from: dateInput.optional().describe('Incidents whose occurred range ends on or after this date'),
    to: dateInput.optional().describe('Incidents whose occurred range starts on or before this date'),
    source_id: uuid.optional().describe('Incidents with at least one live claim from this source'),
    sort: z.enum(INCIDENT_SORTS).default('-occurred_from').describe('Order; a leading - means descending'),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'must not be after to', path: ['from'] });

export const incidentPageSchema = pageSchema(incidentSchema, 'IncidentPage');

export type IncidentCreate = z.output<typeof incidentCreateSchema>;
export type IncidentPatch = z.output<typeof incidentPatchSchema>;
export type IncidentDto = z.output<typeof incidentSchema>;
export type IncidentListQuery = z.output<typeof incidentListQuery>;
export type VerificationRequest = z.output<typeof verificationRequestSchema>;
export type IncidentSort = (typeof INCIDENT_SORTS)[number];
