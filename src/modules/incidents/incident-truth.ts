import { isDeepStrictEqual } from 'node:util';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { claims, incidentRecordColumns, incidents, sources, type NewIncidentRow } from '../../db/schema';
import { deriveCasualties, type CountableClaim } from '../../domain/casualties';
import { deriveStatus, type StatusClaim } from '../../domain/status';
import type { Journal } from '../history/journal';
import { toIncidentDto } from './incident-mapper';

type Ruling = Pick<
  NewIncidentRow,
  'verificationStatus' | 'verificationRationale' | 'verifiedBy' | 'verifiedAt'
>;

/**
 * Keeps an incident's derived status and casualties in step with its claims. Called inside the transaction
 * that changes a claim (or a source's reliability or group, or a verifier's ruling); it locks the incident,
 * so concurrent writers on one incident queue and never store figures computed from a stale set of claims.
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
    /**
     * Recomputes the incident's derived fields and, when they (or the given ruling) change, stores them as a new
     * version and journals it with its cause. Returns whether the incident changed.
     */
    async recompute(
      db: Executor,
      journal: Journal,
      incidentId: string,
      cause: Record<string, unknown>,
      ruling?: Ruling,
    ): Promise<boolean> {
      const [row] = await db
        .select(incidentRecordColumns)
        .from(incidents)
        .where(and(eq(incidents.id, incidentId), isNull(incidents.deletedAt)))
        .for('no key update');
      if (!row) return false;
      const live = await liveClaimsOf(db, incidentId);
      const casualties = deriveCasualties(live);
      const manual = ruling ? ruling.verificationStatus : row.verificationStatus;
      const status = manual ?? deriveStatus(live);
      const sameRuling =
        !ruling ||
        (ruling.verificationStatus === row.verificationStatus &&
          (ruling.verificationRationale ?? null) === row.verificationRationale);
      if (sameRuling && status === row.status && isDeepStrictEqual(casualties, row.casualties)) return false;

      const before = row;
      const [updated] = await db
        .update(incidents)
        .set({
          ...ruling,
          status,
          casualties,
          killedBest: casualties.killed?.best ?? null,
          version: sql`${incidents.version} + 1`,
          updatedAt: sql`now()`,
        })
        .where(eq(incidents.id, incidentId))
        .returning(incidentRecordColumns);
      const after = { ...before, ...updated! };
      journal.record({
        type: 'incident',
        state: toIncidentDto(after),
        previous: toIncidentDto(before),
        cause,
      });
      return true;
    },
  };
}

export type IncidentTruth = ReturnType<typeof createIncidentTruth>;
