import type { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import type { Db } from '../../db/client';
import { CONSTRAINT_RULES, findPgError } from '../../db/constraints';
import type { FieldError } from '../../core/errors';
import type { WriteContext, WriteKernel } from '../../core/write';
import type { IncidentRepository } from '../incidents/incident-repository';
import { acledFormat } from './formats/acled';
import { mapIncident, ownCsvFormat } from './formats/own';
import { ucdpFormat } from './formats/ucdp';
import type { ImportRecord, MappedRow } from './import-model';
import { createPlanner, type RowOutcome } from './import-plan';
import type { ImportRepository } from './import-repository';
import type { ImportFormat, ImportRowReport } from './import-schemas';
import { writePlan } from './import-writer';
import { csvRows, ndjsonRows } from './readers';

export interface ImportOptions {
  format: ImportFormat;
  dryRun: boolean;
  context: WriteContext;
  /** Whether the caller may review claims (verifier and above). */
  reviewer: boolean;
}

/** Rows per transaction: large enough for multi-row statements to pay, small enough to hold few locks. */
export const IMPORT_BATCH_ROWS = 1000;
/** Rows read between two turns of the event loop while a batch is being written. */
const YIELD_EVERY_ROWS = 10;
// The journal writes its entries with one statement of nine parameters each; PostgreSQL allows 65,535.
const MAX_ENTRIES_PER_BATCH = 4000;

function rowsOf(body: Readable, format: ImportFormat): AsyncGenerator<MappedRow> {
  switch (format) {
    case 'acled_csv':
      return csvRows(body, acledFormat);
    case 'ucdp_ged_csv':
      return csvRows(body, ucdpFormat);
    case 'csv':
      return csvRows(body, ownCsvFormat);
    case 'ndjson':
      return ndjsonRows(body, (value, row) => mapIncident(value, row));
  }
}

/** Database errors that a row's own values cause (class 22 data, 23 integrity, 40 a lost race): the row is refused. */
function isRowError(err: unknown): boolean {
  const code = findPgError(err)?.code ?? '';
  return code.startsWith('22') || code.startsWith('23') || code.startsWith('40');
}

function rowErrorOf(err: unknown): FieldError {
  const pgError = findPgError(err)!;
  const rule = pgError.constraint ? CONSTRAINT_RULES[pgError.constraint] : undefined;
  if (rule) return { path: rule.path?.replace(/^body\./, '') ?? 'row', message: rule.detail };
  if (pgError.code.startsWith('22'))
    return { path: 'row', message: 'A value cannot be stored (out of range or malformed).' };
  return { path: 'row', message: `The database refused the row (${pgError.constraint ?? pgError.code}).` };
}

const toReport = (o: RowOutcome): ImportRowReport => ({
  row: o.row,
  external_id: o.key,
  outcome: o.outcome,
  incident_id: o.incidentId,
  ...(o.errors ? { errors: o.errors } : {}),
});

export function createImportService({
  db,
  kernel,
  repository,
  incidents,
  batchRows = IMPORT_BATCH_ROWS,
}: {
  db: Db;
  kernel: WriteKernel;
  repository: ImportRepository;
  incidents: Pick<IncidentRepository, 'ancestry' | 'lockHierarchy'>;
  batchRows?: number;
}) {
  const plan = createPlanner({ repository, incidents });

  return {
    /**
     * Imports a file as it arrives and yields the report of each batch: one entry per record, in file order.
     * Each batch is written in one transaction, and the next one is read meanwhile. A batch the database
     * refuses is rolled back and written again row by row, so only the rows at fault are rejected. Throws when
     * the file cannot be read on, after importing the rows before that point.
     */
    async *run(body: Readable, options: ImportOptions): AsyncGenerator<ImportRowReport[]> {
      const { format, dryRun, context, reviewer } = options;
      /** Existing incidents matched by earlier batches: two rows of one file must not change one incident. */
      const matched = new Map<string, number>();
      /** The row of each external id seen so far: a second row with the same id is refused. */
      const seen = new Map<string, number>();

      const decideBatch = async (batch: MappedRow[]): Promise<RowOutcome[]> => {
        const records = batch.flatMap((item) => ('record' in item ? [item.record] : []));
        const outcomes = records.length ? await decide(records) : [];
        const rejected = batch.flatMap((item) =>
          'rejected' in item ? [{ ...item.rejected, outcome: 'rejected' as const, incidentId: null }] : [],
        );
        return [...outcomes, ...rejected].sort((a, b) => a.row - b.row);
      };

      /** Plans the records (and writes them unless this is a dry run); returns their outcomes. */
      const decide = async (records: ImportRecord[]): Promise<RowOutcome[]> => {
        const planContext = { format, reviewer, earlier: matched };
        if (dryRun) {
          const result = await plan(db, records, { ...planContext, lock: false });
          for (const [id, row] of result.matched) matched.set(id, row);
          // A row a dry run would create has no incident yet.
          return result.outcomes.map((o) => (o.outcome === 'created' ? { ...o, incidentId: null } : o));
        }
        try {
          const result = await kernel.run({ context }, async (write) => {
            await repository.lockImports(write.tx);
            // Rows that nest incidents check for cycles: as any such write, under the hierarchy lock.
            if (records.some((r) => r.incident.parent_id)) await incidents.lockHierarchy(write.tx);
            const planned = await plan(write.tx, records, { ...planContext, lock: true });
            await writePlan(write, repository, planned, format);
            return planned;
          });
          for (const [id, row] of result.matched) matched.set(id, row);
          return result.outcomes;
        } catch (err) {
          if (!isRowError(err)) throw err;
          if (records.length > 1) {
            const outcomes: RowOutcome[] = [];
            for (const record of records) outcomes.push(...(await decide([record])));
            return outcomes;
          }
          const [{ row, key }] = records as [ImportRecord];
          return [{ row, key, outcome: 'rejected', incidentId: null, errors: [rowErrorOf(err)] }];
        }
      };

      /** A row whose external id an earlier row of the file has is refused: a record appears once per file. */
      const admit = (record: ImportRecord): MappedRow => {
        const earlier = record.externalIds.map((k) => seen.get(`${k.system}\u0000${k.id}`)).find(Boolean);
        if (earlier !== undefined) {
          const message = `repeats an external id of row ${earlier}: each record may appear once in a file`;
          return {
            rejected: { row: record.row, key: record.key, errors: [{ path: record.keyColumn, message }] },
          };
        }
        for (const k of record.externalIds) seen.set(`${k.system}\u0000${k.id}`, record.row);
        return { record };
      };

      let batch: MappedRow[] = [];
      let entries = 0;
      let writing: Promise<RowOutcome[]> | undefined;
      const flush = async function* (): AsyncGenerator<ImportRowReport[]> {
        const done = writing ? await writing : [];
        writing = undefined;
        if (done.length) yield done.map(toReport);
      };

      const reader = rowsOf(body, format);
      let unreadable: unknown;
      try {
        for (;;) {
          let next: IteratorResult<MappedRow>;
          try {
            next = await reader.next();
          } catch (err) {
            // The file cannot be read on: the rows read so far are still imported, then the import stops.
            unreadable = err;
            break;
          }
          if (next.done) break;
          const item = next.value;
          batch.push('record' in item ? admit(item.record) : item);
          if ('record' in item) entries += 1 + 2 * item.record.claims.length;
          if (batch.length >= batchRows || entries >= MAX_ENTRIES_PER_BATCH) {
            yield* flush();
            writing = decideBatch(batch);
            // Awaited by the next flush; until then its failure must not count as unhandled.
            writing.catch(() => undefined);
            batch = [];
            entries = 0;
          } else if (writing && batch.length % YIELD_EVERY_ROWS === 0) {
            // Reading goes on while the previous batch is written, on the same thread: it gives way now and then,
            // so that the batch's next statement is sent as soon as the database answers the one before.
            await setImmediate();
          }
        }
        yield* flush();
        if (batch.length) {
          writing = decideBatch(batch);
          yield* flush();
        }
      } finally {
        await reader.return(undefined);
      }
      if (unreadable !== undefined) throw unreadable;
    },
  };
}

export type ImportService = ReturnType<typeof createImportService>;
