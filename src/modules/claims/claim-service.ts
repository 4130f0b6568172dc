import { readTogether, type Db } from '../../db/client';
import type { Page } from '../../core/paging';
import type { ClaimRow, NewClaimRow } from '../../db/schema';
import { NotFoundError, UnprocessableError } from '../../core/errors';
import { assertChanged, type Write, type WriteKernel, type WriteOptions } from '../../core/write';
import { reviewAfterEdit } from '../../domain/review';
import { columnValues, isoOrNull, lifecycleOf } from '../../http/fields';
import type { IncidentRepository } from '../incidents/incident-repository';
import type { SourceRepository } from '../sources/source-repository';
import type { ClaimRepository } from './claim-repository';
import type { ClaimCreate, ClaimDto, ClaimListQuery, ClaimPatch } from './claim-schemas';

export function toClaimDto(r: ClaimRow): ClaimDto {
  return {
    id: r.id,
    incident_id: r.incidentId,
    source_id: r.sourceId,
    stance: r.stance as ClaimDto['stance'],
    statement: r.statement,
    language: r.language,
    translation: r.translation,
    published_at: isoOrNull(r.publishedAt),
    url: r.url,
    archived_url: r.archivedUrl,
    content_sha256: r.contentSha256,
    killed: r.killed,
    killed_civilians: r.killedCivilians,
    killed_combatants: r.killedCombatants,
    injured: r.injured,
    detained: r.detained,
    missing: r.missing,
    figures_are_minimum: r.figuresAreMinimum,
    credibility: r.credibility,
    review_status: r.reviewStatus as ClaimDto['review_status'],
    review_note: r.reviewNote,
    ...lifecycleOf(r),
  };
}

function columns(input: ClaimPatch): Partial<NewClaimRow> {
  const map = [
    ['stance', 'stance'],
    ['statement', 'statement'],
    ['language', 'language'],
    ['translation', 'translation'],
    ['url', 'url'],
    ['archived_url', 'archivedUrl'],
    ['content_sha256', 'contentSha256'],
    ['killed', 'killed'],
    ['killed_civilians', 'killedCivilians'],
    ['killed_combatants', 'killedCombatants'],
    ['injured', 'injured'],
    ['detained', 'detained'],
    ['missing', 'missing'],
    ['figures_are_minimum', 'figuresAreMinimum'],
    ['credibility', 'credibility'],
    ['review_status', 'reviewStatus'],
    ['review_note', 'reviewNote'],
  ] as const;
  const values = columnValues<ClaimPatch, NewClaimRow>(input, map);
  if (input.published_at !== undefined)
    values.publishedAt = input.published_at ? new Date(input.published_at) : null;
  return values;
}

export interface ClaimServiceDeps {
  db: Db;
  kernel: WriteKernel;
  claims: ClaimRepository;
  incidents: Pick<IncidentRepository, 'lockLive'>;
  sources: Pick<SourceRepository, 'lockLive'>;
}

/**
 * Every claim write locks its incident first, then recomputes the incident's status and casualties in the
 * same transaction: concurrent writers on one incident queue, and the stored figures never go stale.
 */
export function createClaimService({ db, kernel, claims, incidents, sources }: ClaimServiceDeps) {
  /** Locks the claim's incident (which serialises all writes to its claims), then checks If-Match. */
  async function lockForWrite(write: Write, id: string): Promise<ClaimRow> {
    const found = await claims.findLive(write.tx, id);
    if (!found) throw new NotFoundError('claim', id);
    await incidents.lockLive(write.tx, found.incidentId);
    const current = await claims.findLive(write.tx, id);
    if (!current) throw new NotFoundError('claim', id);
    write.checkPrecondition('claim', current);
    return current;
  }

  return {
    async create(input: ClaimCreate, options: WriteOptions = {}): Promise<ClaimDto> {
      return kernel.run(options, async (write) => {
        const { tx } = write;
        const errors = [];
        if (!(await incidents.lockLive(tx, input.incident_id))) {
          errors.push({ path: 'body.incident_id', message: 'no live incident with this id' });
        }
        // KEY SHARE: a concurrent delete of the source (FOR UPDATE) waits for this claim, or this claim sees it gone.
        if (!(await sources.lockLive(tx, input.source_id, 'key share'))) {
          errors.push({ path: 'body.source_id', message: 'no live source with this id' });
        }
        if (errors.length)
          throw new UnprocessableError('The claim refers to records that do not exist.', errors);
        const created = toClaimDto(
          await claims.insert(tx, {
            ...columns(input),
            incidentId: input.incident_id,
            sourceId: input.source_id,
          }),
        );
        write.record({ type: 'claim', state: created });
        await write.recomputeTruth([created.incident_id], { claim_id: created.id, reason: 'claim created' });
        return created;
      });
    },

    async get(id: string): Promise<ClaimDto> {
      const row = await claims.findLive(db, id);
      if (!row) throw new NotFoundError('claim', id);
      return toClaimDto(row);
    },

    async update(id: string, patch: ClaimPatch, options: WriteOptions = {}): Promise<ClaimDto> {
      return kernel.run(options, async (write) => {
        const before = await lockForWrite(write, id);
        const values = columns(patch);
        // Reviewed claims stay reviewed: a change below verifier to what the review vouched for reopens it.
        const reopened = reviewAfterEdit(
          toClaimDto(before),
          toClaimDto({ ...before, ...values }),
          write.context.mayReview ?? false,
        );
        if (reopened)
          Object.assign(values, { reviewStatus: reopened.review_status, reviewNote: reopened.review_note });
        const after = toClaimDto((await claims.update(write.tx, id, values))!);
        assertChanged(toClaimDto(before), after);
        write.record({ type: 'claim', state: after, previous: toClaimDto(before) });
        const reason = reopened
          ? 'claim sent back to review'
          : patch.review_status && patch.review_status !== before.reviewStatus
            ? 'claim reviewed'
            : 'claim changed';
        await write.recomputeTruth([after.incident_id], { claim_id: id, reason });
        return after;
      });
    },

    async remove(id: string, options: WriteOptions = {}): Promise<void> {
      await kernel.run(options, async (write) => {
        const before = await lockForWrite(write, id);
        const tombstone = toClaimDto((await claims.softDelete(write.tx, id))!);
        write.record({ type: 'claim', state: tombstone, previous: toClaimDto(before), action: 'delete' });
        await write.recomputeTruth([before.incidentId], { claim_id: id, reason: 'claim deleted' });
      });
    },

    async list(query: ClaimListQuery): Promise<Page<ClaimDto>> {
      if (!query.count) {
        const { rows, nextCursor } = await claims.list(db, query);
        return { data: rows.map(toClaimDto), nextCursor };
      }
      return readTogether(db, async (tx) => {
        const { rows, nextCursor } = await claims.list(tx, query);
        return { data: rows.map(toClaimDto), nextCursor, total: await claims.count(tx, query) };
      });
    },
  };
}

export type ClaimService = ReturnType<typeof createClaimService>;
