import { z } from 'zod';
import { CLAIM_STANCES, REVIEW_STATUSES } from '../../domain/vocabulary';
import {
  httpUrl,
  lifecycleFields,
  queryBoolean,
  queryList,
  text,
  timestampInput,
  timestampOutput,
  uuid,
} from '../../http/fields';
import { formatQueryFields } from '../../http/formats';
import { countQuerySchema, pageQuerySchema, pageSchema } from '../../core/paging';
import { claimCreateExample, claimExample, claimPatchExample, pageExample } from '../demo/demo-examples';

const figure = (what: string) =>
  z
    .number()
    .int()
    .min(0)
    .max(2_147_483_647)
    .nullable()
    .describe(`${what}, as the source states it; null when it gives no figure`);

const stance = z
  .enum(CLAIM_STANCES)
  .describe('Whether the source supports or contradicts the incident as recorded');
const REVIEW_RULE =
  'Reviewed claims stay reviewed: when a caller below verifier changes what an accepted or rejected claim’s review vouched for (its figures, figures_are_minimum, stance, credibility, published_at, source or incident), the claim goes back to pending, with a review_note naming what changed (the earlier note stays in the history), and stops counting until a verifier accepts it again; a verifier’s own edit keeps the review.';

const reviewStatus = z
  .enum(REVIEW_STATUSES)
  .describe(`Only accepted claims count towards status and casualties. ${REVIEW_RULE}`);

const writableFields = {
  stance,
  statement: text(50_000).nullable().describe('What the source said, quoted in its original language'),
  language: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag, e.g. ar or en-GB')
    .nullable(),
  translation: text(50_000).nullable(),
  published_at: timestampInput.nullable().describe('When the source said it'),
  url: httpUrl.nullable(),
  archived_url: httpUrl.nullable(),
  content_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits')
    .nullable()
    .describe('SHA-256 of the captured evidence'),
  killed: figure('People killed'),
  killed_civilians: figure('Civilians killed'),
  killed_combatants: figure('Combatants killed'),
  injured: figure('People injured'),
  detained: figure('People detained'),
  missing: figure('People missing'),
  figures_are_minimum: z.boolean().describe('True when the source gives a floor ("at least 240")'),
  credibility: z
    .number()
    .int()
    .min(1)
    .max(6)
    .describe('Admiralty information credibility: 1 confirmed … 5 improbable, 6 cannot be judged'),
  review_status: reviewStatus,
  review_note: text(10_000).nullable(),
};

const optional = <T extends Record<string, z.ZodType>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof T]: z.ZodOptional<T[K]>;
  };

export const claimCreateSchema = z
  .strictObject({
    incident_id: uuid.describe('The incident the claim is about'),
    source_id: uuid.describe('The source making the claim'),
    ...optional(writableFields),
    stance: stance.default('supports'),
    figures_are_minimum: writableFields.figures_are_minimum.default(false),
    credibility: writableFields.credibility.default(6),
    review_status: reviewStatus.default('pending'),
  })
  .meta({
    id: 'ClaimCreate',
    description:
      'A new claim. The server owns id, version and timestamps; incident_id and source_id cannot change later.',
    examples: [claimCreateExample],
  });

export const claimPatchSchema = z
  .strictObject(writableFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'must change at least one field')
  .meta({
    id: 'ClaimPatch',
    description: `The fields to change, including a review (review_status, review_note, verifier role); null clears an optional field. ${REVIEW_RULE}`,
    examples: [claimPatchExample],
  });

export const claimSchema = z
  .object({
    id: uuid,
    incident_id: uuid,
    source_id: uuid,
    ...writableFields,
    published_at: timestampOutput.nullable(),
    url: z.string().nullable(),
    archived_url: z.string().nullable(),
    statement: z.string().nullable(),
    translation: z.string().nullable(),
    language: z.string().nullable(),
    review_note: z.string().nullable(),
    ...lifecycleFields,
  })
  .meta({ id: 'Claim', examples: [claimExample] });

const claimFilters = {
  ...pageQuerySchema,
  ...countQuerySchema,
  ...formatQueryFields(Object.keys(claimSchema.shape) as [string, ...string[]], false),
  include_deleted: queryBoolean
    .optional()
    .describe('true to list deleted records too (as tombstones with deleted_at)'),
  source_id: uuid.optional().describe('Claims made by this source'),
  review_status: queryList(reviewStatus).optional().describe('One or more review statuses, comma-separated'),
  stance: stance.optional(),
};

export const claimListQuery = z.object({
  ...claimFilters,
  incident_id: uuid.optional().describe('Claims about this incident'),
});

/** The same filters under /incidents/{id}/claims, where the path names the incident. */
export const incidentClaimListQuery = z.object(claimFilters);

export const claimPageSchema = pageSchema(claimSchema, 'ClaimPage', pageExample(claimExample));

export type ClaimCreate = z.output<typeof claimCreateSchema>;
export type ClaimPatch = z.output<typeof claimPatchSchema>;
export type ClaimDto = z.output<typeof claimSchema>;
export type ClaimListQuery = z.output<typeof claimListQuery>;
