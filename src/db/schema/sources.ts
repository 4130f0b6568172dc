import { sql } from 'drizzle-orm';
import { boolean, check, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { RELIABILITY_GRADES, SOURCE_KINDS } from '../../domain/vocabulary';
import { lifecycleColumns, oneOf } from './columns';

export const sources = pgTable(
  'sources',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    acronym: text('acronym'),
    kind: text('kind').notNull(),
    url: text('url'),
    // ISO 3166-1 alpha-3; text with a CHECK rather than char(3), which defeats indexes against text parameters.
    country: text('country'),
    // Sources sharing a group are not independent of each other (a ministry and the state broadcaster).
    independenceGroup: text('independence_group'),
    // Admiralty grade A–F; F = reliability cannot be judged.
    reliability: text('reliability').notNull().default('F'),
    partyToConflict: boolean('party_to_conflict').notNull().default(false),
    // Identity withheld from anyone below contributor role.
    protected: boolean('protected').notNull().default(false),
    notes: text('notes'),
    ...lifecycleColumns(),
  },
  (t) => [
    check('sources_kind_check', oneOf(t.kind, SOURCE_KINDS)),
    check('sources_reliability_check', oneOf(t.reliability, RELIABILITY_GRADES)),
    check('sources_country_check', sql`${t.country} ~ '^[A-Z]{3}$'`),
    check('sources_name_check', sql`length(btrim(${t.name})) > 0`),
    index('sources_created_at_id_idx').on(t.createdAt, t.id),
    index('sources_kind_idx').on(t.kind),
    // Imports find the sources a file names by their name.
    index('sources_name_idx')
      .on(t.name)
      .where(sql`${t.deletedAt} IS NULL`),
  ],
);

export type SourceRow = typeof sources.$inferSelect;
export type NewSourceRow = typeof sources.$inferInsert;
