import { z } from 'zod';
import { ROLES } from '../../db/schema';
import { requiredText, timestampOutput, uuid } from '../../http/fields';
import { countQuerySchema, pageQuerySchema, pageSchema } from '../../core/paging';
import { apiKeyCreatedExample, apiKeyCreateExample, apiKeyExample, pageExample } from '../demo/demo-examples';

export const apiKeySchema = z
  .object({
    id: uuid,
    name: z.string(),
    role: z.enum(ROLES),
    prefix: z.string().describe('The first characters of the secret, to tell keys apart'),
    created_by: z.string().describe('The key that created this one, or system'),
    created_at: timestampOutput,
    last_used_at: timestampOutput.nullable().describe('Updated at most once a minute'),
    revoked_at: timestampOutput.nullable(),
  })
  .meta({ id: 'ApiKey', examples: [apiKeyExample] });

export const apiKeyCreatedSchema = apiKeySchema
  .extend({
    secret: z
      .string()
      .nullable()
      .describe(
        'The key itself: shown only in this response, store it now. null in a replay of the same Idempotency-Key: the secret is never stored.',
      ),
  })
  .meta({ id: 'ApiKeyCreated', examples: [apiKeyCreatedExample] });

export const apiKeyCreateSchema = z
  .strictObject({
    name: requiredText(200).describe('Who or what uses the key, e.g. a partner'),
    role: z.enum(ROLES).describe('reader < contributor < verifier < admin'),
  })
  .meta({ id: 'ApiKeyCreate', examples: [apiKeyCreateExample] });

export const apiKeyListQuery = z.object({
  ...pageQuerySchema,
  ...countQuerySchema,
  include_revoked: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('true to list revoked keys too'),
});

export const apiKeyPageSchema = pageSchema(apiKeySchema, 'ApiKeyPage', pageExample(apiKeyExample));

export type ApiKeyDto = z.output<typeof apiKeySchema>;
export type ApiKeyCreate = z.output<typeof apiKeyCreateSchema>;
export type ApiKeyListQuery = z.output<typeof apiKeyListQuery>;
