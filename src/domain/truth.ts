import { deriveCasualties, type Casualties } from './casualties';
import { deriveStatus } from './status';
import type { IncidentStatus } from './vocabulary';

/** What the rules need to know about one live claim and its source. */
export interface ClaimFacts {
  id: string;
  stance: string;
  reviewStatus: string;
  credibility: number;
  publishedAt: Date | null;
  killed: number | null;
  killedCivilians: number | null;
  killedCombatants: number | null;
  injured: number | null;
  detained: number | null;
  missing: number | null;
  sourceId: string;
  /** The source's Admiralty reliability grade. */
  reliability: string;
  /** The source's independence group; null: the source is a group of its own. */
  independenceGroup: string | null;
}

/** An incident's derived truth: its status and casualty estimates, and the best killed figure they give. */
export interface Truth {
  status: IncidentStatus;
  casualties: Casualties;
  killedBest: number | null;
}

/**
 * SPEC §3: the status and casualties of an incident from its live claims. A verifier's ruling (verified or
 * discredited), when there is one, is the status; the rules decide otherwise. Every write that can move them
 * (a claim's change, a source's, a ruling, an import, a merge) derives them here.
 */
export function deriveTruth(claims: readonly ClaimFacts[], ruling: string | null): Truth {
  const counted = claims.map((c) => ({
    ...c,
    figures: {
      killed: c.killed,
      killed_civilians: c.killedCivilians,
      killed_combatants: c.killedCombatants,
      injured: c.injured,
      detained: c.detained,
      missing: c.missing,
    },
  }));
  const casualties = deriveCasualties(counted);
  return {
    status: (ruling as IncidentStatus | null) ?? deriveStatus(counted),
    casualties,
    killedBest: casualties.killed?.best ?? null,
  };
}
