import type { Viewer } from '../../http/access';
import { readTogether, type Db } from '../../db/client';
import type { Page } from '../../core/paging';
import type { NewSourceRow, SourceRow } from '../../db/schema';
import { ConflictError, NotFoundError } from '../../core/errors';
import { assertChanged, type WriteKernel, type WriteOptions } from '../../core/write';
import { columnValues, lifecycleOf } from '../../http/fields';
import type { SourceRepository } from './source-repository';
import type { SourceCreate, SourceDto, SourceListQuery, SourcePatch } from './source-schemas';

export function toSourceDto(r: SourceRow): SourceDto {
  return {
    id: r.id,
    name: r.name,
    acronym: r.acronym,
    kind: r.kind as SourceDto['kind'],
    url: r.url,
    country: r.country,
    independence_group: r.independenceGroup,
    reliability: r.reliability as SourceDto['reliability'],
    party_to_conflict: r.partyToConflict,
    protected: r.protected,
    notes: r.notes,
    ...lifecycleOf(r),
  };
}

function columns(input: SourcePatch): Partial<NewSourceRow> {
  const map = [
    ['name', 'name'],
    ['acronym', 'acronym'],
    ['kind', 'kind'],
    ['url', 'url'],
    ['country', 'country'],
    ['independence_group', 'independenceGroup'],
    ['reliability', 'reliability'],
    ['party_to_conflict', 'partyToConflict'],
    ['protected', 'protected'],
    ['notes', 'notes'],
  ] as const;
  return columnValues<SourcePatch, NewSourceRow>(input, map);
}

export interface SourceServiceDeps {
  db: Db;
  kernel: WriteKernel;
  sources: SourceRepository;
}

export function createSourceService({ db, kernel, sources }: SourceServiceDeps) {
  return {
    async create(input: SourceCreate, options: WriteOptions = {}): Promise<SourceDto> {
      return kernel.run(options, async (write) => {
        const created = toSourceDto(await sources.insert(write.tx, columns(input) as NewSourceRow));
        write.record({ type: 'source', state: created });
        return created;
      });
    },

    async get(id: string): Promise<SourceDto> {
      const row = await sources.findLive(db, id);
      if (!row) throw new NotFoundError('source', id);
      return toSourceDto(row);
    },

    async update(id: string, patch: SourcePatch, options: WriteOptions = {}): Promise<SourceDto> {
      return kernel.run(options, async (write) => {
        const { tx } = write;
        const before = await sources.lockLive(tx, id);
        if (!before) throw new NotFoundError('source', id);
        write.checkPrecondition('source', before);
        const after = (await sources.update(tx, id, columns(patch)))!;
        assertChanged(toSourceDto(before), toSourceDto(after));
        write.record({ type: 'source', state: toSourceDto(after), previous: toSourceDto(before) });
        // Reliability ranks claims for the best estimate; the group decides corroboration.
        if (
          before.reliability !== after.reliability ||
          before.independenceGroup !== after.independenceGroup
        ) {
          await write.recomputeTruth(await sources.incidentIdsCiting(tx, id), {
            source_id: id,
            reason: 'source reliability or independence group changed',
          });
        }
        return toSourceDto(after);
      });
    },

    async remove(id: string, options: WriteOptions = {}): Promise<void> {
      await kernel.run(options, async (write) => {
        const { tx } = write;
        // FOR UPDATE, unlike a change: a claim citing the source (KEY SHARE) cannot be written meanwhile.
        const before = await sources.lockLive(tx, id, 'update');
        if (!before) throw new NotFoundError('source', id);
        write.checkPrecondition('source', before);
        const claimIds = await sources.liveClaimIds(tx, id);
        if (claimIds.length) {
          throw new ConflictError(
            `The source is cited by live claims (${claimIds.join(', ')}); delete them first.`,
            'source_has_live_claims',
          );
        }
        const row = (await sources.softDelete(tx, id))!;
        write.record({
          type: 'source',
          state: toSourceDto(row),
          previous: toSourceDto(before),
          action: 'delete',
        });
      });
    },

    async list(query: SourceListQuery & Viewer): Promise<Page<SourceDto>> {
      if (!query.count) {
        const { rows, nextCursor } = await sources.list(db, query);
        return { data: rows.map(toSourceDto), nextCursor };
      }
      return readTogether(db, async (tx) => {
        const { rows, nextCursor } = await sources.list(tx, query);
        return { data: rows.map(toSourceDto), nextCursor, total: await sources.count(tx, query) };
      });
    },
  };
}

export type SourceService = ReturnType<typeof createSourceService>;
