import type { Db, Executor } from '../db/client';
import { PreconditionFailedError } from './errors';
import { storeIdempotentResponse, type IdempotentResponse } from './idempotency';
import { diffStates, Journal, writeJournal, type Cause, type RecordedChange } from './journal';

/**
 * The write kernel: every change to the data goes through `run`, which gives the work one transaction, a
 * journal written in that same transaction (history and change feed), the caller's precondition, the stored
 * idempotent response, and the recomputation of incidents' derived truth. A change is never visible without its
 * history, nor history without its change.
 */

/** Who is writing and on which request; every change is recorded under it. */
export interface WriteContext {
  /** The API key id, or `anonymous`, or `system` for work the service does itself (demo data, migrations). */
  actor: string;
  requestId?: string;
  /** Whether the writer may review claims (a verifier or above, or the service itself). */
  mayReview?: boolean;
  /** When the request carries an Idempotency-Key: its response is stored in the same transaction as the write. */
  idempotency?: IdempotentResponse;
}

export const SYSTEM: WriteContext = { actor: 'system', mayReview: true };

/** How a write is made: on whose behalf, and on which condition (If-Match). */
export interface WriteOptions {
  context?: WriteContext;
  /** Whether the current version satisfies the client's If-Match; absent means unconditional. */
  ifMatch?: (version: number) => boolean;
}

/**
 * Thrown inside a write whose result equals the record as it was: the transaction is rolled back and the record
 * returned unchanged, so a repeated PATCH makes no new version and keeps its ETag.
 */
export class Unchanged<T> extends Error {
  constructor(readonly record: T) {
    super('unchanged');
  }
}

/** Throws Unchanged when no field but version and updated_at differs between the two representations. */
export function assertChanged<T extends object>(previous: T, state: T): void {
  const changed = diffStates(previous as Record<string, unknown>, state as Record<string, unknown>);
  if (Object.keys(changed).length === 0) throw new Unchanged(previous);
}

/** One write in progress: its transaction, its journal, and the rules every write follows. */
export interface Write {
  readonly tx: Executor;
  readonly context: WriteContext;
  /** Records a new version of a record; written to history and feed at the end of the transaction. */
  record(change: RecordedChange): void;
  /** Throws 412 unless the caller's If-Match names the record's current version. Call it after locking the row. */
  checkPrecondition(resource: string, current: { id: string; version: number }): void;
  /**
   * Recomputes the derived status and casualties of these incidents (locking them in id order) and journals each
   * that changed, with its cause.
   */
  recomputeTruth(incidentIds: Iterable<string>, cause: Cause): Promise<void>;
}

/** Keeps an incident's derived truth in step with its claims; the incidents feature implements it. */
export interface TruthKeeper {
  /** Recomputes one incident inside a write; returns whether it changed. */
  recompute(write: Write, incidentId: string, cause: Cause): Promise<boolean>;
}

export interface WriteKernel {
  run<T>(options: WriteOptions, work: (write: Write) => Promise<T>): Promise<T>;
}

export function createWriteKernel({ db, truth }: { db: Db; truth: TruthKeeper }): WriteKernel {
  return {
    async run(options, work) {
      const context = options.context ?? SYSTEM;
      try {
        return await db.transaction(async (tx) => {
          const journal = new Journal();
          const write: Write = {
            tx,
            context,
            record: (change) => journal.record(change),
            checkPrecondition(resource, current) {
              if (options.ifMatch && !options.ifMatch(current.version)) {
                throw new PreconditionFailedError(resource, current.id, current.version);
              }
            },
            async recomputeTruth(incidentIds, cause) {
              for (const id of [...new Set(incidentIds)].sort()) await truth.recompute(write, id, cause);
            },
          };
          const result = await work(write);
          if (context.idempotency) await storeIdempotentResponse(tx, context.idempotency, result);
          await writeJournal(tx, journal, context);
          return result;
        });
      } catch (err) {
        if (err instanceof Unchanged) return err.record as Awaited<ReturnType<typeof work>>;
        throw err;
      }
    },
  };
}
