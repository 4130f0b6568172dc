import { getTableColumns, sql } from 'drizzle-orm';
import {
  boolean,
  check,
  foreignKey,
  index,
  integer,
  pgTable,
  smallint,
  text,
  uuid,
} from 'drizzle-orm/pg-core';
import { CLAIM_STANCES, REVIEW_STATUSES } from '../../domain/vocabulary';
import { lifecycleColumns, oneOf, searchVectorOf, timestampColumn, tsvector } from './columns';
import { incidents } from './incidents';
import { sources } from './sources';

/** One source asserting something about one incident. */
export const claims = pgTable(
  'claims',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    incidentId: uuid('incident_id').notNull(),
    sourceId: uuid('source_id').notNull(),
    stance: text('stance').notNull().default('supports'),
    // Quoted in the original language.
    statement: text('statement'),
    // BCP 47 tag of the statement's language.
    language: text('language'),
    translation: text('translation'),
    // When the source said it, not when it was recorded here.
    publishedAt: timestampColumn('published_at'),
    url: text('url'),
    archivedUrl: text('archived_url'),
    // SHA-256 of the captured evidence, so a later copy can be checked against it.
    contentSha256: text('content_sha256'),
    killed: integer('killed'),
    killedCivilians: integer('killed_civilians'),
    killedCombatants: integer('killed_combatants'),
    injured: integer('injured'),
    detained: integer('detained'),
    missing: integer('missing'),
    // "At least 240": the figures are a floor, not a count.
    figuresAreMinimum: boolean('figures_are_minimum').notNull().default(false),
    // Admiralty information credibility 1–6; 6 = cannot be judged.
    credibility: smallint('credibility').notNull().default(6),
    reviewStatus: text('review_status').notNull().default('pending'),
    reviewNote: text('review_note'),
    ...lifecycleColumns(),
    searchVector: tsvector('search_vector').generatedAlwaysAs(
      searchVectorOf(`coalesce(statement, '') || ' ' || coalesce(translation, '')`),
    ),
  },
  (t) => [
    foreignKey({ name: 'claims_incident_fk', columns: [t.incidentId], foreignColumns: [incidents.id] }),
    foreignKey({ name: 'claims_source_fk', columns: [t.sourceId], foreignColumns: [sources.id] }),
    check('claims_stance_check', oneOf(t.stance, CLAIM_STANCES)),
    check('claims_review_status_check', oneOf(t.reviewStatus, REVIEW_STATUSES)),
    check('claims_credibility_check', sql`${t.credibility} BETWEEN 1 AND 6`),
    check('claims_content_sha256_check', sql`${t.contentSha256} ~ '^[0-9a-f]{64}$'`),
    check(
      'claims_figures_non_negative_check',
      sql`${t.killed} >= 0 AND ${t.killedCivilians} >= 0 AND ${t.killedCombatants} >= 0 AND ${t.injured} >= 0 AND ${t.detained} >= 0 AND ${t.missing} >= 0`,
    ),
    index('claims_created_at_id_idx').on(t.createdAt, t.id),
    index('claims_incident_id_created_at_idx').on(t.incidentId, t.createdAt, t.id),
    index('claims_source_id_created_at_idx').on(t.sourceId, t.createdAt, t.id),
    index('claims_search_idx').using('gin', t.searchVector),
  ],
);

const { searchVector: _claimSearch, ...claimRecordColumns } = getTableColumns(claims);
/** Every column a record read needs: all but the search vector, which only filters. */
export { claimRecordColumns };

export type ClaimRow = Omit<typeof claims.$inferSelect, 'searchVector'>;
export type NewClaimRow = typeof claims.$inferInsert;
