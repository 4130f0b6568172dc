import { sql, type SQL } from 'drizzle-orm';

/**
 * The full-text query of a search as people type it (web-search syntax: "phrase", or, -exclude), matched against
 * the vectors `searchVectorOf` builds: the words as written, their English stems, and the Arabic stems of the
 * normalised text. Any of the three matching is a match; the words as written weigh most in the rank.
 */
export const searchQuery = (q: string): SQL =>
  sql`(websearch_to_tsquery('simple', ${q}) || websearch_to_tsquery('english', ${q}) || websearch_to_tsquery('arabic', corroborate_normalise_arabic(${q})))`;
