import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns';

export const ROLES = ['reader', 'contributor', 'verifier', 'admin'] as const;

/** API keys: only a hash of the secret is stored; the secret is shown once, at creation. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    role: text('role').notNull(),
    // The first characters of the secret, so an operator can tell keys apart without the secret.
    prefix: text('prefix').notNull(),
    // SHA-256 of the whole secret: the secret is 256 random bits, so a fast hash is enough.
    secretHash: text('secret_hash').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    lastUsedAt: timestampColumn('last_used_at'),
    revokedAt: timestampColumn('revoked_at'),
  },
  (t) => [
    unique('api_keys_secret_hash_key').on(t.secretHash),
    check('api_keys_role_check', sql`${t.role} IN ('reader', 'contributor', 'verifier', 'admin')`),
    check('api_keys_name_check', sql`length(btrim(${t.name})) > 0`),
    index('api_keys_created_at_idx').on(t.createdAt, t.id),
  ],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
