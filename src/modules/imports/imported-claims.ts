import type { ClaimRow } from '../../db/schema';
import { importedClaimId } from './claim-keys';
import type { ExternalId, ImportedClaim } from './import-model';
import type { SourceRank } from './import-repository';

/** The claims an import makes, and how a re-import keeps them in step with the file. */

export type PendingClaim = Omit<ClaimRow, 'createdAt' | 'updatedAt'>;
/** A claim with what the casualty and status rules need of its source. */
export type RankedClaim = PendingClaim & Omit<SourceRank, 'id'>;

const DATASETS: Record<string, string> = { acled: 'ACLED event', ucdp_ged: 'UCDP GED event' };

/** Where an imported claim comes from and, once accepted, why: the datasets are reviewed by their publishers. */
function reviewNoteOf(key: ExternalId, accepted: boolean): string {
  const origin = `Imported from ${DATASETS[key.system] ?? key.system} ${key.id}`;
  return accepted ? `${origin}; accepted as reviewed by its publisher.` : `${origin}.`;
}

/** The claim fields a file speaks for, as stored. */
const claimValues = (c: ImportedClaim) => ({
  stance: 'supports',
  statement: c.statement,
  publishedAt: c.published_at === null ? null : new Date(c.published_at),
  killed: c.killed,
  killedCivilians: c.killed_civilians,
  killedCombatants: c.killed_combatants,
  credibility: c.credibility,
});

/** A new claim of a row; a verifier's import accepts it, a contributor's leaves it pending. */
export function newClaimRow(
  key: ExternalId,
  incidentId: string,
  file: ImportedClaim,
  source: SourceRank,
  reviewer: boolean,
): RankedClaim {
  return {
    id: importedClaimId(incidentId, key, source.id, file.slot),
    incidentId,
    sourceId: source.id,
    ...claimValues(file),
    language: null,
    translation: null,
    url: null,
    archivedUrl: null,
    contentSha256: null,
    injured: null,
    detained: null,
    missing: null,
    figuresAreMinimum: false,
    reviewStatus: reviewer ? 'accepted' : 'pending',
    reviewNote: reviewNoteOf(key, reviewer),
    version: 1,
    deletedAt: null,
    reliability: source.reliability,
    independenceGroup: source.independenceGroup,
  };
}

/**
 * What a re-import changes in a claim it made before: the fields the file speaks for. The review moves only from
 * pending to accepted, by a verifier's import; a review made since the claim was imported is kept.
 */
export function claimChanges(stored: ClaimRow, file: ImportedClaim, key: ExternalId, reviewer: boolean) {
  const values: Partial<ClaimRow> = {};
  for (const [column, value] of Object.entries(claimValues(file)) as [keyof ClaimRow, unknown][]) {
    const current = stored[column];
    const same =
      current instanceof Date && value instanceof Date
        ? current.getTime() === value.getTime()
        : current === value;
    if (!same) (values as Record<string, unknown>)[column] = value;
  }
  if (reviewer && stored.reviewStatus === 'pending') {
    values.reviewStatus = 'accepted';
    if (stored.reviewNote === reviewNoteOf(key, false)) values.reviewNote = reviewNoteOf(key, true);
  }
  return values;
}
