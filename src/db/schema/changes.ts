import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns';

export const RESOURCE_TYPES = ['source', 'incident', 'claim'] as const;
export const CHANGE_ACTIONS = ['create', 'update', 'delete'] as const;

/**
 * The append-only journal: one row per version of every record. It is both the history of each record and the
 * change feed, whose order is (`xid`, `seq`): see src/core/journal.ts.
 */
export const changeSeq = pgSequence('change_seq');

export const changes = pgTable(
  'changes',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    // The feed position's first part: the writing transaction's id, or the xid of the latest version of a record
    // it changed when that is higher (0 for changes journaled before the feed took transaction ids).
    xid: bigint('xid', { mode: 'number' }).notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: uuid('resource_id').notNull(),
    version: integer('version').notNull(),
    action: text('action').notNull(),
    // The API key that made the change (derived changes are recorded under the change that caused them),
    // `anonymous`, or `system` for work the service does itself.
    actor: text('actor').notNull(),
    requestId: text('request_id'),
    // When the change was journaled, the last statement before its commit, not when its transaction began.
    changedAt: timestampColumn('changed_at').notNull(),
    // The full representation after the change (for a delete, the tombstone).
    state: jsonb('state').$type<Record<string, unknown>>().notNull(),
    // Field → { from, to } for every field that changed. NULL for a first version, where every field is new and
    // the diff would repeat the state (readers derive it): it would double the bytes a create writes.
    diff: jsonb('diff').$type<Record<string, { from: unknown; to: unknown }>>(),
    // Why a derived change happened, e.g. the claim whose review moved an incident's status.
    cause: jsonb('cause').$type<Record<string, unknown>>(),
  },
  (t) => [
    unique('changes_resource_version_key').on(t.resourceType, t.resourceId, t.version),
    check('changes_resource_type_check', sql`${t.resourceType} IN ('source', 'incident', 'claim')`),
    check('changes_action_check', sql`${t.action} IN ('create', 'update', 'delete')`),
    check('changes_diff_check', sql`${t.diff} IS NOT NULL OR ${t.action} = 'create'`),
    index('changes_resource_changed_at_idx').on(t.resourceType, t.resourceId, t.changedAt),
    index('changes_feed_idx').on(t.xid, t.seq),
  ],
);

/** Stored responses of POST requests carrying an Idempotency-Key, so a retry gets the first answer. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    actor: text('actor').notNull(),
    key: text('key').notNull(),
    // SHA-256 of method, path and body: the same key with another request is refused.
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    responseLocation: text('response_location'),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    completedAt: timestampColumn('completed_at'),
    expiresAt: timestampColumn('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'idempotency_keys_pkey', columns: [t.actor, t.key] }),
    index('idempotency_keys_expires_at_idx').on(t.expiresAt),
  ],
);

export type ChangeRow = typeof changes.$inferSelect;
