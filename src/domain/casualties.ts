import { FIGURES, RELIABILITY_GRADES, type Figure } from './vocabulary';

/** The version of the estimation rule, reported with every figure so a later change of rule is visible. */
export const CASUALTY_METHOD = 'ranked-source/1';

export interface FigureEstimate {
  low: number;
  best: number;
  high: number;
  /** How many claims stated this figure. */
  claims: number;
  low_claim_id: string;
  best_claim_id: string;
  high_claim_id: string;
}

export type Casualties = { method: string } & Record<Figure, FigureEstimate | null>;

/** What the estimate needs to know about a claim; the caller passes only live claims. */
export interface CountableClaim {
  id: string;
  stance: string;
  reviewStatus: string;
  reliability: string;
  credibility: number;
  publishedAt: Date | null;
  figures: Record<Figure, number | null>;
}

export function emptyCasualties(): Casualties {
  const result = { method: CASUALTY_METHOD } as Casualties;
  for (const figure of FIGURES) result[figure] = null;
  return result;
}

/**
 * Orders claims best first: more reliable source (A before F), then more credible claim (1 before 6),
 * then the most recently published (unknown dates last), then id so the order is total.
 */
export function compareClaimRank(a: CountableClaim, b: CountableClaim): number {
  const reliability =
    RELIABILITY_GRADES.indexOf(a.reliability as never) - RELIABILITY_GRADES.indexOf(b.reliability as never);
  if (reliability !== 0) return reliability;
  if (a.credibility !== b.credibility) return a.credibility - b.credibility;
  const at = a.publishedAt?.getTime() ?? -Infinity;
  const bt = b.publishedAt?.getTime() ?? -Infinity;
  if (at !== bt) return at > bt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * SPEC §3: for each figure, over accepted supporting claims that state it, low = smallest value,
 * high = largest, best = the value of the highest-ranked claim. Ties on low/high go to the better-ranked claim,
 * so the result does not depend on the order the claims come in.
 */
export function deriveCasualties(claims: readonly CountableClaim[]): Casualties {
  const counted = claims
    .filter((c) => c.stance === 'supports' && c.reviewStatus === 'accepted')
    .sort(compareClaimRank);
  const result = emptyCasualties();
  for (const figure of FIGURES) {
    let estimate: FigureEstimate | null = null;
    for (const claim of counted) {
      const value = claim.figures[figure];
      if (value === null || value === undefined) continue;
      if (estimate === null) {
        estimate = {
          low: value,
          best: value,
          high: value,
          claims: 1,
          low_claim_id: claim.id,
          best_claim_id: claim.id,
          high_claim_id: claim.id,
        };
        continue;
      }
      estimate.claims += 1;
      if (value < estimate.low) {
        estimate.low = value;
        estimate.low_claim_id = claim.id;
      }
      if (value > estimate.high) {
        estimate.high = value;
        estimate.high_claim_id = claim.id;
      }
    }
    result[figure] = estimate;
  }
  return result;
}
