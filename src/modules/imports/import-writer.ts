import type { ClaimRow, SourceRow } from '../../db/schema';
import type { Write } from '../../core/write';
import { toClaimDto } from '../claims/claim-service';
import type { IncidentRecord } from '../incidents/incident-repository';
import { toIncidentDto } from '../incidents/incident-mapper';
import { toSourceDto } from '../sources/source-service';
import type { BatchPlan } from './import-plan';
import type { ImportRepository } from './import-repository';
import type { ImportFormat } from './import-schemas';

/**
 * Writes a batch's plan inside its transaction, with many rows per statement, and records every record it
 * creates or changes in the journal of that transaction: history and change feed, as for any other write.
 * The journal lists sources, then incidents, then claims, so a mirror replaying the feed meets each record
 * after the ones it refers to.
 */
export async function writePlan(
  write: Write,
  repository: ImportRepository,
  plan: BatchPlan,
  format: ImportFormat,
): Promise<void> {
  const { tx } = write;
  const cause = (row: number) => ({ reason: 'import', format, row });
  const now = await repository.transactionTime(tx);
  const stamped = { createdAt: now, updatedAt: now };

  const sources: SourceRow[] = plan.newSources.map(({ source }) => ({ ...source, ...stamped }));
  await repository.insertSources(tx, sources);
  plan.newSources.forEach(({ row }, i) =>
    write.record({ type: 'source', state: toSourceDto(sources[i]!), cause: cause(row) }),
  );

  const prefixes = plan.newIncidents.map(
    ({ incident }) => `${incident.country ?? 'XXX'}-${incident.occurredFrom.slice(0, 4)}`,
  );
  const counts = new Map<string, number>();
  for (const prefix of prefixes) counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  const last = await repository.takeRefNumbers(tx, counts);
  // Numbers are handed out in row order within each prefix.
  const next = new Map([...counts].map(([prefix, n]) => [prefix, last.get(prefix)! - n + 1]));
  const incidents: IncidentRecord[] = plan.newIncidents.map(({ incident }, i) => {
    const prefix = prefixes[i]!;
    const number = next.get(prefix)!;
    next.set(prefix, number + 1);
    return { ...incident, ref: `${prefix}-${String(number).padStart(6, '0')}`, ...stamped };
  });
  const ordered = await repository.insertIncidents(tx, incidents);
  plan.newIncidents.forEach(({ row }, i) => {
    const incident = incidents[i]!;
    const state = toIncidentDto({ ...incident, ...ordered.get(incident.id) });
    write.record({ type: 'incident', state, cause: cause(row) });
  });

  const claims: ClaimRow[] = plan.newClaims.map(({ claim }) => ({ ...claim, ...stamped }));
  await repository.insertClaims(tx, claims);
  plan.newClaims.forEach(({ row }, i) =>
    write.record({ type: 'claim', state: toClaimDto(claims[i]!), cause: cause(row) }),
  );

  for (const { row, before, values } of plan.claimUpdates) {
    const after = await repository.updateClaim(tx, before.id, values);
    write.record({
      type: 'claim',
      state: toClaimDto(after),
      previous: toClaimDto(before),
      cause: cause(row),
    });
  }
  for (const { row, before } of plan.claimDeletes) {
    const tombstone = await repository.softDeleteClaim(tx, before.id);
    write.record({
      type: 'claim',
      state: toClaimDto(tombstone),
      previous: toClaimDto(before),
      action: 'delete',
      cause: cause(row),
    });
  }

  for (const { row, before, values, lists } of plan.incidentUpdates) {
    const updated = await repository.updateIncident(tx, before.id, values);
    const after: IncidentRecord = { ...before, ...updated };
    if (lists) Object.assign(after, lists, await repository.replaceLists(tx, { ...after, ...lists }));
    write.record({
      type: 'incident',
      state: toIncidentDto(after),
      previous: toIncidentDto(before),
      cause: cause(row),
    });
  }
}
