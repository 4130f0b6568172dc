import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Executor } from '../../db/client';
import type { ClaimRow, NewIncidentRow, SourceRow } from '../../db/schema';
import type { FieldError } from '../../core/errors';
import type { IncidentLists } from '../incidents/incident-lists';
import type { IncidentRecord, IncidentRepository } from '../incidents/incident-repository';
import { importedClaimId, isImportedClaim } from './claim-keys';
import type { ExternalId, ImportRecord } from './import-model';
import type { ClaimWithSource, ImportRepository, SourceRank } from './import-repository';
import type { ImportFormat, ImportOutcome } from './import-schemas';
import { deriveTruth } from '../../domain/truth';
import { claimChanges, newClaimRow, type PendingClaim, type RankedClaim } from './imported-claims';
import { incidentChanges, newIncident, type PendingIncident } from './imported-incidents';

/**
 * Deciding what a batch of rows does to the database, without writing: which rows create an incident, which
 * change one, which say what is already stored, and which cannot be applied. A dry run stops here; an import
 * hands the plan to the writer in the same transaction.
 */

export interface PlanContext {
  format: ImportFormat;
  /** Whether the caller may review claims (verifier and above): only then are imported claims accepted. */
  reviewer: boolean;
  /** Whether this plan will be written: the incidents it reads are then locked until the transaction ends. */
  lock: boolean;
  /** Incidents that earlier batches of the same file matched, with the row that matched each. */
  earlier: ReadonlyMap<string, number>;
}

export interface RowOutcome {
  row: number;
  key: ExternalId | null;
  outcome: ImportOutcome;
  incidentId: string | null;
  errors?: FieldError[];
}

export type PendingSource = Omit<SourceRow, 'createdAt' | 'updatedAt'>;

export interface BatchPlan {
  outcomes: RowOutcome[];
  newSources: { row: number; source: PendingSource }[];
  newIncidents: { row: number; incident: PendingIncident }[];
  newClaims: { row: number; claim: PendingClaim }[];
  claimUpdates: { row: number; before: ClaimRow; values: Partial<ClaimRow> }[];
  claimDeletes: { row: number; before: ClaimRow }[];
  incidentUpdates: {
    row: number;
    before: IncidentRecord;
    values: Partial<NewIncidentRow>;
    lists: IncidentLists | undefined;
  }[];
  /** Existing incidents this batch matched, by id, with the row that matched each. */
  matched: Map<string, number>;
}

const keyString = (k: ExternalId) => `${k.system}\u0000${k.id}`;

/** A source an import creates for a name it does not know: to be classified afterwards. */
const newSource = (id: string, name: string): PendingSource => ({
  id,
  name,
  acronym: null,
  kind: 'other',
  url: null,
  country: null,
  independenceGroup: null,
  reliability: 'F',
  partyToConflict: false,
  protected: false,
  notes: null,
  version: 1,
  deletedAt: null,
});

export function createPlanner({
  repository,
  incidents,
}: {
  repository: ImportRepository;
  incidents: Pick<IncidentRepository, 'ancestry'>;
}) {
  return async function plan(
    db: Executor,
    records: ImportRecord[],
    context: PlanContext,
  ): Promise<BatchPlan> {
    const result: BatchPlan = {
      outcomes: [],
      newSources: [],
      newIncidents: [],
      newClaims: [],
      claimUpdates: [],
      claimDeletes: [],
      incidentUpdates: [],
      matched: new Map(),
    };
    const reject = (record: ImportRecord, path: string, message: string) =>
      result.outcomes.push({
        row: record.row,
        key: record.key,
        outcome: 'rejected',
        incidentId: null,
        errors: [{ path, message }],
      });

    // Which incident each row is about, if any.
    const found = await repository.findByExternalIds(
      db,
      records.flatMap((r) => r.externalIds),
    );
    const targets = new Map<ImportRecord, string | null>();
    for (const record of records) {
      const hits = record.externalIds.flatMap((k) => found.get(keyString(k)) ?? []);
      const ids = [...new Set(hits.map((h) => h.incidentId))];
      const earlierRow = ids[0] && (context.earlier.get(ids[0]) ?? result.matched.get(ids[0]));
      if (ids.length > 1) {
        reject(record, record.keyColumn, `name ${ids.length} different incidents (${ids.join(', ')})`);
      } else if (hits[0]?.deleted) {
        const message = `names the deleted incident ${hits[0].incidentId}: an import neither changes nor restores deleted records`;
        reject(record, record.keyColumn, message);
      } else if (earlierRow) {
        reject(record, record.keyColumn, `names the same incident as row ${earlierRow}`);
      } else {
        targets.set(record, ids[0] ?? null);
        if (ids[0]) result.matched.set(ids[0], record.row);
      }
    }

    const existingIds = [...targets.values()].filter((id): id is string => id !== null);
    const stored = await repository.incidentsWithClaims(db, existingIds, context.lock);
    const storedById = new Map(stored.records.map((r) => [r.id, r]));
    const claimsByIncident = new Map<string, ClaimWithSource[]>();
    for (const c of stored.claims)
      claimsByIncident.set(c.incidentId, [...(claimsByIncident.get(c.incidentId) ?? []), c]);
    const known = await repository.liveSourcesNamed(db, [
      ...new Set([...targets.keys()].flatMap((r) => r.claims.map((c) => c.sourceName))),
    ]);
    const parents = await repository.liveIncidentIds(
      db,
      [...targets.keys()].flatMap((r) => (r.incident.parent_id ? [r.incident.parent_id] : [])),
    );

    /** The source of a name: the live one of that name, or one this batch creates. */
    const sourceFor = (name: string, row: number): SourceRank => {
      let source = known.get(name);
      if (!source) {
        source = { id: randomUUID(), reliability: 'F', independenceGroup: null };
        known.set(name, source);
        result.newSources.push({ row, source: newSource(source.id, name) });
      }
      return source;
    };

    const addClaim = (record: ImportRecord, incidentId: string, file: ImportRecord['claims'][number]) => {
      const claim = newClaimRow(
        record.key,
        incidentId,
        file,
        sourceFor(file.sourceName, record.row),
        context.reviewer,
      );
      const { reliability: _reliability, independenceGroup: _group, ...row } = claim;
      result.newClaims.push({ row: record.row, claim: row });
      return claim;
    };

    const create = (record: ImportRecord) => {
      const id = randomUUID();
      const claims = record.claims.map((file) => addClaim(record, id, file));
      result.newIncidents.push({
        row: record.row,
        incident: newIncident(record, id, deriveTruth(claims, null)),
      });
      result.outcomes.push({ row: record.row, key: record.key, outcome: 'created', incidentId: id });
    };

    const update = (record: ImportRecord, current: IncidentRecord) => {
      const { values, lists } = incidentChanges(record, current);
      // The claims the file states, found by their import ids; claims made through the API are left alone.
      const storedClaims = claimsByIncident.get(current.id) ?? [];
      const byId = new Map(storedClaims.map((c) => [c.id, c]));
      const after = new Map<string, RankedClaim>(storedClaims.map((c) => [c.id, c]));
      const stated = new Set<string>();
      let claimsChanged = false;
      for (const file of record.claims) {
        const source = sourceFor(file.sourceName, record.row);
        const id = importedClaimId(current.id, record.key, source.id, file.slot);
        stated.add(id);
        const existing = byId.get(id);
        if (!existing) {
          after.set(id, addClaim(record, current.id, file));
          claimsChanged = true;
        } else if (existing.deletedAt === null) {
          // (A claim deleted through the API stays deleted.)
          const changes = claimChanges(existing, file, record.key, context.reviewer);
          if (Object.keys(changes).length) {
            result.claimUpdates.push({ row: record.row, before: existing, values: changes });
            after.set(id, { ...existing, ...changes });
            claimsChanged = true;
          }
        }
      }
      for (const claim of storedClaims) {
        if (claim.deletedAt !== null || stated.has(claim.id)) continue;
        if (!isImportedClaim(claim, current.id, record.key)) continue;
        // An imported claim the file no longer states, e.g. of a source dropped from the row.
        result.claimDeletes.push({ row: record.row, before: claim });
        after.set(claim.id, { ...claim, deletedAt: new Date(0) });
        claimsChanged = true;
      }

      if (claimsChanged) {
        const live = [...after.values()].filter((c) => c.deletedAt === null);
        const derived = deriveTruth(live, current.verificationStatus);
        if (derived.status !== current.status || !isDeepStrictEqual(derived.casualties, current.casualties))
          Object.assign(values, derived);
      }
      const incidentChanged = lists !== undefined || Object.keys(values).length > 0;
      if (incidentChanged) result.incidentUpdates.push({ row: record.row, before: current, values, lists });
      const outcome = incidentChanged || claimsChanged ? 'updated' : 'unchanged';
      result.outcomes.push({ row: record.row, key: record.key, outcome, incidentId: current.id });
    };

    for (const [record, incidentId] of targets) {
      const parentId = record.incident.parent_id;
      const current = incidentId ? storedById.get(incidentId) : undefined;
      if (parentId && parentId !== current?.parentId) {
        if (!parents.has(parentId)) {
          reject(record, 'parent_id', 'names no live incident of this database');
          continue;
        }
        if (current && (await incidents.ancestry(db, parentId)).includes(current.id)) {
          reject(record, 'parent_id', 'would make a cycle of parents');
          continue;
        }
      }
      if (current) update(record, current);
      else create(record);
    }
    result.outcomes.sort((a, b) => a.row - b.row);
    return result;
  };
}
