import { z } from 'zod';
import { RELIABILITY_GRADES, SOURCE_KINDS } from '../../domain/vocabulary';
import {
  countryCode,
  httpUrl,
  lifecycleFields,
  queryBoolean,
  queryList,
  requiredText,
  text,
  uuid,
} from '../../http/fields';
import { formatQueryFields } from '../../http/formats';
import { countQuerySchema, pageQuerySchema, pageSchema } from '../../core/paging';
import { pageExample, sourceCreateExample, sourceExample, sourcePatchExample } from '../demo/demo-examples';

const kind = z.enum(SOURCE_KINDS).describe('What kind of speaker this is');
const reliability = z
  .enum(RELIABILITY_GRADES)
  .describe('Admiralty source reliability: A completely reliable … E unreliable, F cannot be judged');

const writableFields = {
  name: requiredText(500),
  acronym: text(50).nullable(),
  kind,
  url: httpUrl.nullable(),
  country: countryCode.nullable(),
  independence_group: text(200)
    .nullable()
    .describe('Sources sharing a group are not independent of each other; null = a group of its own'),
  reliability,
  party_to_conflict: z.boolean(),
  protected: z.boolean().describe('Identity withheld from readers below contributor role'),
  notes: text(10_000).nullable(),
};

export const sourceCreateSchema = z
  .strictObject({
    ...writableFields,
    acronym: writableFields.acronym.optional(),
    url: writableFields.url.optional(),
    country: writableFields.country.optional(),
    independence_group: writableFields.independence_group.optional(),
    reliability: reliability.default('F'),
    party_to_conflict: z.boolean().default(false),
    protected: z.boolean().default(false),
    notes: writableFields.notes.optional(),
  })
  .meta({
    id: 'SourceCreate',
    description: 'A new source; fields the server owns (id, version, timestamps) are rejected.',
    examples: [sourceCreateExample],
  });

export const sourcePatchSchema = z
  .strictObject(writableFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'must change at least one field')
  .meta({
    id: 'SourcePatch',
    description: 'The fields to change; null clears an optional field.',
    examples: [sourcePatchExample],
  });

export const sourceSchema = z
  .object({
    id: uuid,
    ...writableFields,
    name: z.string(),
    ...lifecycleFields,
  })
  .meta({ id: 'Source', examples: [sourceExample] });

export const sourceListQuery = z.object({
  ...pageQuerySchema,
  ...countQuerySchema,
  ...formatQueryFields(Object.keys(sourceSchema.shape) as [string, ...string[]], false),
  include_deleted: queryBoolean
    .optional()
    .describe('true to list deleted records too (as tombstones with deleted_at)'),
  kind: queryList(kind).optional().describe('One or more kinds, comma-separated'),
  q: text(200).optional().describe('Case-insensitive match on name or acronym'),
});

export const sourcePageSchema = pageSchema(sourceSchema, 'SourcePage', pageExample(sourceExample));

export type SourceCreate = z.output<typeof sourceCreateSchema>;
export type SourcePatch = z.output<typeof sourcePatchSchema>;
export type SourceDto = z.output<typeof sourceSchema>;
export type SourceListQuery = z.output<typeof sourceListQuery>;
