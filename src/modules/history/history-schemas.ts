import { z } from 'zod';
import { CHANGE_ACTIONS, RESOURCE_TYPES } from '../../db/schema';
import { timestampOutput, uuid } from '../../http/fields';
import { FEED_CURSOR } from '../../core/journal';
import { pageQuerySchema } from '../../core/paging';
import { changeFeedExample, historyPageExample } from '../demo/demo-examples';

const fieldChanges = z
  .record(z.string(), z.object({ from: z.unknown(), to: z.unknown() }))
  .describe('Each field that changed, with its value before and after (before is null on create)');

export const historyEntrySchema = z
  .object({
    version: z.number().int(),
    action: z.enum(CHANGE_ACTIONS),
    actor: z.string().describe('The API key that made the change, anonymous, or system'),
    request_id: z.string().nullable().describe('The request that made the change'),
    changed_at: timestampOutput,
    changes: fieldChanges,
    cause: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe(
        'For derived changes (status, casualties): what caused them, e.g. the claim that was reviewed',
      ),
    state: z.record(z.string(), z.unknown()).describe('The full record as of this version'),
  })
  .meta({ id: 'HistoryEntry' });

export const historyPageSchema = z
  .object({
    data: z.array(historyEntrySchema),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: 'HistoryPage', examples: [historyPageExample] });

export const historyQuery = z.object(pageQuerySchema);

export const changeSchema = z
  .object({
    cursor: z.string().describe('Resume after this change by passing it as `after`'),
    resource_type: z.enum(RESOURCE_TYPES),
    resource_id: uuid,
    version: z.number().int(),
    action: z.enum(CHANGE_ACTIONS).describe('delete entries are tombstones: state carries deleted_at'),
    actor: z.string(),
    changed_at: timestampOutput,
    state: z.record(z.string(), z.unknown()).describe('The record as of this change'),
  })
  .meta({ id: 'Change' });

export const changeFeedSchema = z
  .object({
    data: z.array(changeSchema),
    next_cursor: z
      .string()
      .describe(
        'Pass as `after` to continue; unchanged when there is nothing new yet, so a client can poll with it',
      ),
  })
  .meta({ id: 'ChangeFeed', examples: [changeFeedExample] });

export const changeFeedQuery = z.object({
  after: z
    .string()
    .regex(FEED_CURSOR, 'must be a cursor from this feed')
    .default('0')
    .describe('The cursor of the last change already seen; 0 (the default) starts from the beginning'),
  limit: pageQuerySchema.limit,
});

export type HistoryEntry = z.output<typeof historyEntrySchema>;
export type Change = z.output<typeof changeSchema>;
