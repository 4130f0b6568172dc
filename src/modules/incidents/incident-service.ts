import type { Viewer } from '../../http/access';
import { sql } from 'drizzle-orm';
import { readTogether, type Db, type Executor } from '../../db/client';
import type { Page } from '../../core/paging';
import type { NewIncidentRow } from '../../db/schema';
import { ConflictError, NotFoundError, UnprocessableError } from '../../core/errors';
import { assertChanged, type Write, type WriteKernel, type WriteOptions } from '../../core/write';
import { emptyCasualties } from '../../domain/casualties';
import { columnValues } from '../../http/fields';
import { toIncidentDto } from './incident-mapper';
import type { IncidentRepository } from './incident-repository';
import type {
  IncidentCreate,
  IncidentDto,
  IncidentListQuery,
  IncidentPatch,
  VerificationRequest,
} from './incident-schemas';
import type { IncidentTruth } from './incident-truth';

/** Column values from API fields; only the fields present are set. */
function columns(input: IncidentPatch): Partial<NewIncidentRow> {
  const map = [
    ['title', 'title'],
    ['summary', 'summary'],
    ['category', 'category'],
    ['subcategory', 'subcategory'],
    ['occurred_from', 'occurredFrom'],
    ['occurred_to', 'occurredTo'],
    ['date_precision', 'datePrecision'],
    ['country', 'country'],
    ['admin1', 'admin1'],
    ['admin2', 'admin2'],
    ['admin3', 'admin3'],
    ['place', 'place'],
    ['latitude', 'latitude'],
    ['longitude', 'longitude'],
    ['geo_precision', 'geoPrecision'],
    ['parent_id', 'parentId'],
  ] as const;
  return columnValues<IncidentPatch, NewIncidentRow>(input, map);
}

const listsOf = (input: IncidentPatch) => ({
  ...(input.actors ? { actors: input.actors } : {}),
  ...(input.tags ? { tags: input.tags } : {}),
  ...(input.external_ids ? { externalIds: input.external_ids } : {}),
});

export interface IncidentServiceDeps {
  db: Db;
  kernel: WriteKernel;
  incidents: IncidentRepository;
  truth: IncidentTruth;
}

export function createIncidentService({ db, kernel, incidents, truth }: IncidentServiceDeps) {
  async function checkParent(
    tx: Executor,
    incidentId: string | undefined,
    parentId: string | null | undefined,
  ) {
    if (!parentId) return;
    const parent = await incidents.findLive(tx, parentId);
    if (!parent) {
      throw new UnprocessableError('parent_id names no incident.', [
        { path: 'body.parent_id', message: 'no live incident with this id' },
      ]);
    }
    if (incidentId && (await incidents.ancestry(tx, parentId)).includes(incidentId)) {
      throw new UnprocessableError('An incident cannot be part of itself or of its own descendants.', [
        { path: 'body.parent_id', message: 'would make a cycle of parents' },
      ]);
    }
  }

  async function load(tx: Executor, id: string): Promise<IncidentDto> {
    const record = await incidents.findLive(tx, id);
    if (!record) throw new NotFoundError('incident', id);
    return toIncidentDto(record);
  }

  /** Locks the incident, checks If-Match, and returns its representation before the change. */
  async function lockForWrite(write: Write, id: string): Promise<IncidentDto> {
    const row = await incidents.lockLive(write.tx, id);
    if (!row) throw new NotFoundError('incident', id);
    write.checkPrecondition('incident', row);
    return toIncidentDto(row);
  }

  return {
    async create(input: IncidentCreate, options: WriteOptions = {}): Promise<IncidentDto> {
      return kernel.run(options, async (write) => {
        const { tx } = write;
        if (input.parent_id) await incidents.lockHierarchy(tx);
        await checkParent(tx, undefined, input.parent_id);
        const prefix = `${input.country ?? 'XXX'}-${input.occurred_from.slice(0, 4)}`;
        const number = await incidents.nextRefNumber(tx, prefix);
        const row = await incidents.insert(tx, {
          ...columns(input),
          title: input.title,
          category: input.category,
          occurredFrom: input.occurred_from,
          occurredTo: input.occurred_to ?? input.occurred_from,
          ref: `${prefix}-${String(number).padStart(6, '0')}`,
          casualties: emptyCasualties(),
        });
        await incidents.replaceLists(tx, row.id, listsOf(input));
        const created = await load(tx, row.id);
        write.record({ type: 'incident', state: created });
        return created;
      });
    },

    async get(id: string): Promise<IncidentDto> {
      const record = await incidents.readLive(db, id);
      if (!record) throw new NotFoundError('incident', id);
      return toIncidentDto(record);
    },

    async update(id: string, patch: IncidentPatch, options: WriteOptions = {}): Promise<IncidentDto> {
      return kernel.run(options, async (write) => {
        const { tx } = write;
        if (patch.parent_id) await incidents.lockHierarchy(tx);
        const before = await lockForWrite(write, id);
        await checkParent(tx, id, patch.parent_id);
        await incidents.update(tx, id, columns(patch));
        await incidents.replaceLists(tx, id, listsOf(patch));
        const after = await load(tx, id);
        assertChanged(before, after);
        write.record({ type: 'incident', state: after, previous: before });
        return after;
      });
    },

    async remove(id: string, options: WriteOptions = {}): Promise<void> {
      await kernel.run(options, async (write) => {
        const { tx } = write;
        // A child could otherwise be given this incident as parent while it is being deleted.
        await incidents.lockHierarchy(tx);
        const before = await lockForWrite(write, id);
        const claimIds = await incidents.liveClaimIds(tx, id);
        if (claimIds.length) {
          throw new ConflictError(
            `The incident still has live claims (${claimIds.join(', ')}); delete them first.`,
            'incident_has_live_claims',
          );
        }
        const childIds = await incidents.liveChildIds(tx, id);
        if (childIds.length) {
          throw new ConflictError(
            `The incident is the parent of live incidents (${childIds.join(', ')}); delete or re-parent them first.`,
            'incident_has_live_children',
          );
        }
        const tombstone = (await incidents.softDelete(tx, id))!;
        write.record({
          type: 'incident',
          state: toIncidentDto(tombstone),
          previous: before,
          action: 'delete',
        });
      });
    },

    /** A verifier's ruling: verified or discredited stays until a verifier changes it or sends `auto`. */
    async verify(id: string, request: VerificationRequest, options: WriteOptions = {}): Promise<IncidentDto> {
      return kernel.run(options, async (write) => {
        await lockForWrite(write, id);
        const ruling =
          request.status === 'auto'
            ? { verificationStatus: null, verificationRationale: null, verifiedBy: null, verifiedAt: null }
            : {
                verificationStatus: request.status,
                verificationRationale: request.rationale,
                verifiedBy: write.context.actor,
                verifiedAt: sql`now()` as unknown as Date,
              };
        await truth.recompute(
          write,
          id,
          { verification: request.status, rationale: request.rationale },
          ruling,
        );
        return load(write.tx, id);
      });
    },

    async list(query: IncidentListQuery & Viewer): Promise<Page<IncidentDto>> {
      if (!query.count) {
        const { rows, nextCursor } = await incidents.list(db, query);
        return { data: rows.map(toIncidentDto), nextCursor };
      }
      return readTogether(db, async (tx) => {
        const { rows, nextCursor } = await incidents.list(tx, query);
        return { data: rows.map(toIncidentDto), nextCursor, total: await incidents.count(tx, query) };
      });
    },

    /** The statement of an export formatted by the database (see the repository's exportQuery). */
    exportQuery: incidents.exportQuery,

    /** Throws 404 unless the incident exists and is live. */
    async assertLive(id: string): Promise<void> {
      if (!(await incidents.findLive(db, id))) throw new NotFoundError('incident', id);
    },
  };
}

export type IncidentService = ReturnType<typeof createIncidentService>;
