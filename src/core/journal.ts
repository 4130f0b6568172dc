import { isDeepStrictEqual } from 'node:util';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import type { RESOURCE_TYPES } from '../db/schema';

export type ResourceType = (typeof RESOURCE_TYPES)[number];
export type ChangeAction = 'create' | 'update' | 'delete';

/** Why a change was made, when a rule or a process made it: the claim that moved a figure, an import's row. */
export type Cause = Record<string, unknown>;

export type FieldChanges = Record<string, { from: unknown; to: unknown }>;

interface PendingChange {
  resourceType: ResourceType;
  resourceId: string;
  version: number;
  action: ChangeAction;
  state: Record<string, unknown>;
  previous: Record<string, unknown> | undefined;
  cause: Cause | undefined;
}

/** A version of a record to journal: its representation after the change, and before it for an update. */
export interface RecordedChange {
  type: ResourceType;
  state: { id: string; version: number };
  previous?: object;
  action?: ChangeAction;
  cause?: Cause;
}

/** Collects the changes of one write; they are written together at the end of its transaction. */
export class Journal {
  readonly pending: PendingChange[] = [];

  record(change: RecordedChange) {
    this.pending.push({
      resourceType: change.type,
      resourceId: change.state.id,
      version: change.state.version,
      action: change.action ?? (change.previous ? 'update' : 'create'),
      state: change.state as unknown as Record<string, unknown>,
      previous: change.previous as Record<string, unknown> | undefined,
      cause: change.cause,
    });
  }
}

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

// One lock for all writers, taken as the last step before commit, so that `seq` follows commit order.
const FEED_LOCK_KEY = 7_240_318_552;

/**
 * Writes a transaction's journal: one row per version in `changes`, which is both the history of each record
 * and the change feed. Called as the last statement before COMMIT.
 */
export async function writeJournal(
  tx: Executor,
  journal: Journal,
  who: { actor: string; requestId?: string | undefined },
) {
  if (journal.pending.length === 0) return;
  // The entries travel as one JSON parameter, built before the lock is taken: one parameter per entry and column
  // would cost more to build and to bind than the insert itself.
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
    SELECT nextval('change_seq'), e.resource_type, e.resource_id, e.version, e.action, ${who.actor},
           ${who.requestId ?? null}, clock_timestamp(), e.state, e.diff, e.cause
    FROM ROWS FROM (json_to_recordset(${entries}::json)
      AS (resource_type text, resource_id uuid, version integer, action text, state jsonb, diff jsonb, cause jsonb))
      WITH ORDINALITY AS e(resource_type, resource_id, version, action, state, diff, cause, n)
    ORDER BY e.n`);
}
