import type { Db, Executor } from '../../db/client';
import type { NewIncidentRow } from '../../db/schema';
import { emptyCasualties } from '../../domain/casualties';
import { iso, isoOrNull } from '../../http/fields';
import { ConflictError, NotFoundError, UnprocessableError } from '../../http/problems';
import type { IncidentRecord, IncidentRepository } from './incident-repository';
import type { IncidentCreate, IncidentDto, IncidentListQuery, IncidentPatch } from './incident-schemas';

export function toIncidentDto(r: IncidentRecord): IncidentDto {
  return {
    id: r.id,
    ref: r.ref,
    title: r.title,
    summary: r.summary,
    category: r.category as IncidentDto['category'],
    subcategory: r.subcategory as IncidentDto['subcategory'],
    occurred_from: r.occurredFrom,
    occurred_to: r.occurredTo,
    date_precision: r.datePrecision as IncidentDto['date_precision'],
    country: r.country,
    admin1: r.admin1,
    admin2: r.admin2,
    admin3: r.admin3,
    place: r.place,
    latitude: r.latitude,
    longitude: r.longitude,
    geo_precision: r.geoPrecision as IncidentDto['geo_precision'],
    actors: r.actors as IncidentDto['actors'],
    tags: r.tags,
    parent_id: r.parentId,
    duplicate_of: r.duplicateOf,
    external_ids: r.externalIds,
    status: r.status as IncidentDto['status'],
    casualties: r.casualties,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
    version: r.version,
    deleted_at: isoOrNull(r.deletedAt),
  };
}

/** Column values from API fields; only the fields present are set. */
function columns(input: IncidentPatch): Partial<NewIncidentRow> {
  const map: [keyof IncidentPatch, keyof NewIncidentRow][] = [
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
  ];
  const values: Record<string, unknown> = {};
  for (const [field, column] of map) if (input[field] !== undefined) values[column] = input[field];
  return values as Partial<NewIncidentRow>;
}

const listsOf = (input: IncidentPatch) => ({
  ...(input.actors ? { actors: input.actors } : {}),
  ...(input.tags ? { tags: input.tags } : {}),
  ...(input.external_ids ? { externalIds: input.external_ids } : {}),
});

export interface IncidentServiceDeps {
  db: Db;
  incidents: IncidentRepository;
}

export function createIncidentService({ db, incidents }: IncidentServiceDeps) {
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

  return {
    async create(input: IncidentCreate): Promise<IncidentDto> {
      return db.transaction(async (tx) => {
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
        return load(tx, row.id);
      });
    },

    async get(id: string): Promise<IncidentDto> {
      return load(db, id);
    },

    async update(id: string, patch: IncidentPatch): Promise<IncidentDto> {
      return db.transaction(async (tx) => {
        if (!(await incidents.lockLive(tx, id))) throw new NotFoundError('incident', id);
        await checkParent(tx, id, patch.parent_id);
        await incidents.update(tx, id, columns(patch));
        await incidents.replaceLists(tx, id, listsOf(patch));
        return load(tx, id);
      });
    },

    async remove(id: string): Promise<void> {
      await db.transaction(async (tx) => {
        if (!(await incidents.lockLive(tx, id))) throw new NotFoundError('incident', id);
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
        await incidents.softDelete(tx, id);
      });
    },

    async list(query: IncidentListQuery) {
      const { rows, nextCursor } = await incidents.list(db, query);
      return { data: rows.map(toIncidentDto), nextCursor };
    },

    /** Throws 404 unless the incident exists and is live. */
    async assertLive(id: string): Promise<void> {
      if (!(await incidents.findLive(db, id))) throw new NotFoundError('incident', id);
    },
  };
}

export type IncidentService = ReturnType<typeof createIncidentService>;
