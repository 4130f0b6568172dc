import type { ReviewStatus } from './vocabulary';

/**
 * What a claim's review vouches for: the fields that decide how it counts (its figures and whether they are a
 * floor, its stance, its source, its incident) and how it ranks against other claims (credibility, when it was
 * published). Changing any of them changes what the review approved.
 */
export const REVIEWED_FIELDS = [
  'killed',
  'killed_civilians',
  'killed_combatants',
  'injured',
  'detained',
  'missing',
  'figures_are_minimum',
  'stance',
  'source_id',
  'incident_id',
  'credibility',
  'published_at',
] as const;

export type ReviewedField = (typeof REVIEWED_FIELDS)[number];

/**
 * Reviewed claims stay reviewed: when someone below verifier changes what an accepted or rejected claim's review
 * vouched for, the claim goes back to pending (so its figures stop counting until a verifier accepts it again),
 * with a note naming what changed; the earlier note stays in the history. A verifier's own edit keeps the review.
 * Returns the review the claim must take, or undefined when it keeps its own.
 */
export function reviewAfterEdit(
  before: { review_status: string } & Record<ReviewedField, unknown>,
  after: Record<ReviewedField, unknown>,
  editorIsVerifier: boolean,
): { review_status: ReviewStatus; review_note: string } | undefined {
  if (editorIsVerifier || before.review_status === 'pending') return undefined;
  const changed = REVIEWED_FIELDS.filter((field) => !sameValue(before[field], after[field]));
  if (changed.length === 0) return undefined;
  return {
    review_status: 'pending',
    review_note: `Back to review: ${changed.join(', ')} changed after the claim was ${before.review_status}.`,
  };
}

const sameValue = (a: unknown, b: unknown) =>
  a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : (a ?? null) === (b ?? null);
