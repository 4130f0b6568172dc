import { isDeepStrictEqual } from 'node:util';
import { and, eq, isNull } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { claims, sources, type NewIncidentRow } from '../../db/schema';
import type { Cause } from '../../core/journal';
import type { TruthKeeper, Write } from '../../core/write';
import { deriveTruth, type ClaimFacts } from '../../domain/truth';
import { toIncidentDto } from './incident-mapper';
import type { IncidentRepository } from './incident-repository';

/** A verifier's ruling on an incident's status, as stored. */
export type Ruling = Pick<
  NewIncidentRow,
  'verificationStatus' | 'verificationRationale' | 'verifiedBy' | 'verifiedAt'
>;

/** The live claims of an incident, with what the rules need of their sources. */
async function liveClaimsOf(db: Executor, incidentId: string): Promise<ClaimFacts[]> {
  return db
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
}

/**
 * Keeps an incident's derived status and casualties in step with its claims, inside the write that changes a
 * claim (or a source's reliability or group, or a verifier's ruling). It locks the incident, so concurrent writers
 * on one incident queue and never store figures computed from a stale set of claims.
 */
export function createIncidentTruth({ incidents }: { incidents: IncidentRepository }) {
  /**
   * Recomputes the incident's derived fields and, when they (or the given ruling) change, stores them as a new
   * version and journals it with its cause. Returns whether the incident changed.
   */
  async function recompute(
    write: Write,
    incidentId: string,
    cause: Cause,
    ruling?: Ruling,
  ): Promise<boolean> {
    const before = await incidents.lockLive(write.tx, incidentId);
    if (!before) return false;
    const manual = ruling ? (ruling.verificationStatus ?? null) : before.verificationStatus;
    const truth = deriveTruth(await liveClaimsOf(write.tx, incidentId), manual);
    const sameRuling =
      !ruling ||
      (ruling.verificationStatus === before.verificationStatus &&
        (ruling.verificationRationale ?? null) === before.verificationRationale);
    if (
      sameRuling &&
      truth.status === before.status &&
      isDeepStrictEqual(truth.casualties, before.casualties)
    )
      return false;
    const after = (await incidents.update(write.tx, incidentId, { ...ruling, ...truth }))!;
    write.record({ type: 'incident', state: toIncidentDto(after), previous: toIncidentDto(before), cause });
    return true;
  }

  return { recompute } satisfies TruthKeeper & { recompute: typeof recompute };
}

export type IncidentTruth = ReturnType<typeof createIncidentTruth>;
