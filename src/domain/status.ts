import type { IncidentStatus } from './vocabulary';

/** What the status rule needs to know about a live claim. */
export interface StatusClaim {
  stance: string;
  reviewStatus: string;
  sourceId: string;
  /** The source's independence group; null means the source is a group of its own. */
  independenceGroup: string | null;
}

/** The group a claim's source belongs to for independence: its named group, or itself. */
export const independenceKey = (c: Pick<StatusClaim, 'sourceId' | 'independenceGroup'>) =>
  c.independenceGroup !== null ? `group:${c.independenceGroup}` : `source:${c.sourceId}`;

/**
 * SPEC §3, the automatic part: disputed when accepted claims both support and contradict; corroborated when
 * accepted supporting claims come from at least two independence groups; otherwise unverified.
 * (verified and discredited are set by a verifier and are not derived.)
 */
export function deriveStatus(
  claims: readonly StatusClaim[],
): Extract<IncidentStatus, 'unverified' | 'corroborated' | 'disputed'> {
  const accepted = claims.filter((c) => c.reviewStatus === 'accepted');
  const supporting = accepted.filter((c) => c.stance === 'supports');
  const contradicting = accepted.some((c) => c.stance === 'contradicts');
  if (supporting.length > 0 && contradicting) return 'disputed';
  if (new Set(supporting.map(independenceKey)).size >= 2) return 'corroborated';
  return 'unverified';
}
