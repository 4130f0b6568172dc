import { isDeepStrictEqual } from 'node:util';
import { and, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/client';
import { idempotencyKeys, type RESOURCE_TYPES } from '../../db/schema';
import { PreconditionFailedError } from '../../http/problems';

export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Who is writing and on which request; every change is recorded under it. */
export interface WriteContext {
  /** The API key id, or `anonymous`, or `system` for work the service does itself (demo data, migrations). */
  actor: string;
  requestId?: string;
  /** When the request carries an Idempotency-Key: its response is stored in the same transaction as the write. */
  idempotency?: {
    actor: string;
    key: string;
    status: number;
    location?: (result: unknown) => string | undefined;
  };
}

export const SYSTEM: WriteContext = { actor: 'system' };

/** How a write is made: on whose behalf, and on which condition (If-Match). */
export interface WriteOptions {
  context?: WriteContext;
  /** Whether the current version satisfies the client's If-Match; absent means unconditional. */
  ifMatch?: (version: number) => boolean;
}

/** Throws 412 when the client's If-Match does not name the current version. Call it after locking the row. */
export function checkPrecondition(
  resource: string,
  current: { id: string; version: number },
  options: WriteOptions,
) {
  if (options.ifMatch && !options.ifMatch(current.version)) {
    throw new PreconditionFailedError(resource, current.id, current.version);
  }
}

interface PendingChange {
  resourceType: ResourceType;
  resourceId: string;
  version: number;
  action: 'create' | 'update' | 'delete';
  state: Record<string, unknown>;
  previous: Record<string, unknown> | undefined;
  cause: Record<string, unknown> | undefined;
}

/** Collects the changes of one transaction; they are written together at its end. */
export class Journal {
  readonly pending: PendingChange[] = [];

  record(change: {
    type: ResourceType;
    state: { id: string; version: number };
    previous?: object;
    action?: 'create' | 'update' | 'delete';
    cause?: Record<string, unknown>;
  }) {
    const action = change.action ?? (change.previous ? 'update' : 'create');
    this.pending.push({
      resourceType: change.type,
      resourceId: change.state.id,
      version: change.state.version,
      action,
      state: change.state as unknown as Record<string, unknown>,
      previous: change.previous as Record<string, unknown> | undefined,
      cause: change.cause,
    });
  }
}

// One lock for all writers, taken as the last step before commit, so that `seq` follows commit order.
const FEED_LOCK_KEY = 7_240_318_552;

export type FieldChanges = Record<string, { from: unknown; to: unknown }>;

/** The fields whose value differs, each with its value before and after; for a create, `from` is null. */
export function diffStates(
  previous: Record<string, unknown> | undefined,
  state: Record<string, unknown>,
): FieldChanges {
  const diff: FieldChanges = {};
  for (const [field, value] of Object.entries(state)) {
    if (field === 'version' || field === 'updated_at') continue;
    const before = previous?.[field] ?? null;
    if (!previous || !isDeepStrictEqual(before, value))
      diff[field] = { from: previous ? before : null, to: value };
  }
  return diff;
}

async function flush<T>(tx: Executor, journal: Journal, context: WriteContext, result: T) {
  // The stored response first: every statement made while holding the feed lock below makes other writers wait.
  const idempotency = context.idempotency;
  if (idempotency) {
    await tx
      .update(idempotencyKeys)
      .set({
        responseStatus: idempotency.status,
        responseBody: result ?? null,
        responseLocation: idempotency.location?.(result) ?? null,
        completedAt: sql`now()`,
      })
      .where(and(eq(idempotencyKeys.actor, idempotency.actor), eq(idempotencyKeys.key, idempotency.key)));
  }
  if (journal.pending.length > 0) {
    // The entries travel as one JSON parameter, built before the lock is taken for the same reason: one
    // parameter per entry and column would cost more to build and to bind than the insert itself.
    const entries = JSON.stringify(
      journal.pending.map((c) => ({
        resource_type: c.resourceType,
        resource_id: c.resourceId,
        version: c.version,
        action: c.action,
        state: c.state,
        // A first version's diff is every field from null: derived from the state when read, not stored.
        diff: c.action === 'create' && c.previous === undefined ? null : diffStates(c.previous, c.state),
        cause: c.cause ?? null,
      })),
    );
    // Held until commit: a change that draws a higher seq cannot commit before this one is visible.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${FEED_LOCK_KEY})`);
    // seq is drawn in the order of the entries. changed_at is read under the feed lock, so versions are dated
    // in commit order and as_of never sees a version before one that committed earlier. (updated_at on the
    // record is the transaction's start.)
    await tx.execute(sql`
      INSERT INTO changes (seq, resource_type, resource_id, version, action, actor, request_id, changed_at, state, diff, cause)
      SELECT nextval('change_seq'), e.resource_type, e.resource_id, e.version, e.action, ${context.actor},
             ${context.requestId ?? null}, clock_timestamp(), e.state, e.diff, e.cause
      FROM ROWS FROM (json_to_recordset(${entries}::json)
        AS (resource_type text, resource_id uuid, version integer, action text, state jsonb, diff jsonb, cause jsonb))
        WITH ORDINALITY AS e(resource_type, resource_id, version, action, state, diff, cause, n)
      ORDER BY e.n`);
  }
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

/**
 * Runs a write in one transaction and records every change it made in the journal of that same transaction:
 * a change is never visible without its history, nor history without its change.
 */
export async function writeTransaction<T>(
  db: Db,
  context: WriteContext,
  work: (tx: Executor, journal: Journal) => Promise<T>,
): Promise<T> {
  try {
    return await db.transaction(async (tx) => {
      const journal = new Journal();
      const result = await work(tx, journal);
      await flush(tx, journal, context, result);
      return result;
    });
  } catch (err) {
    if (err instanceof Unchanged) return err.record as T;
    throw err;
  }
}
