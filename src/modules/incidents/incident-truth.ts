import { isDeepStrictEqual } from 'node:util';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { claims, incidents, sources } from '../../db/schema';
import { deriveCasualties, type CountableClaim } from '../../domain/casualties';
import { deriveStatus, type StatusClaim } from '../../domain/status';
import type { IncidentStatus } from '../../domain/vocabulary';

/** Statuses only a verifier sets; the rules never overwrite them. */
const MANUAL_STATUSES: readonly IncidentStatus[] = ['verified', 'discredited'];

/**
 * Keeps an incident's derived status and casualties in step with its claims. Called inside the transaction
 * that changes a claim (or a source's reliability or group), after the incident row has been locked.
 */
export function createIncidentTruth() {
  async function liveClaimsOf(db: Executor, incidentId: string): Promise<(CountableClaim & StatusClaim)[]> {
    const rows = await db
      .select({
        id: claims.id,
        stance: claims.stance,
        reviewStatus: claims.reviewStatus,
        credibility: claims.credibility,
        publishedAt: claims.publishedAt,
        killed: claims.killed,
        killedCivilians: claims.killedCivilians,
        killedCombatants: claims.killedCombatants,
        injured: claims.injured,
        detained: claims.detained,
        missing: claims.missing,
        sourceId: claims.sourceId,
        reliability: sources.reliability,
        independenceGroup: sources.independenceGroup,
      })
      .from(claims)
      .innerJoin(sources, eq(sources.id, claims.sourceId))
      .where(and(eq(claims.incidentId, incidentId), isNull(claims.deletedAt)));
    return rows.map((r) => ({
      ...r,
      figures: {
        killed: r.killed,
        killed_civilians: r.killedCivilians,
        killed_combatants: r.killedCombatants,
        injured: r.injured,
        detained: r.detained,
        missing: r.missing,
      },
    }));
  }

  return {
    /** Recomputes the incident's derived fields and stores them if they changed; returns whether they did. */
    async recompute(db: Executor, incidentId: string): Promise<boolean> {
      const [incident] = await db
        .select({ status: incidents.status, casualties: incidents.casualties })
        .from(incidents)
        .where(eq(incidents.id, incidentId))
        .for('no key update');
      if (!incident) return false;
      const live = await liveClaimsOf(db, incidentId);
      const casualties = deriveCasualties(live);
      const status = MANUAL_STATUSES.includes(incident.status as IncidentStatus)
        ? incident.status
        : deriveStatus(live);
      if (status === incident.status && isDeepStrictEqual(casualties, incident.casualties)) {
        return false;
      }
      await db
        .update(incidents)
        .set({
          status,
          casualties,
          killedBest: casualties.killed?.best ?? null,
          version: sql`${incidents.version} + 1`,
          updatedAt: sql`now()`,
        })
        .where(eq(incidents.id, incidentId));
      return true;
    },
  };
}

export type IncidentTruth = ReturnType<typeof createIncidentTruth>;
