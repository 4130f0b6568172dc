import { isDeepStrictEqual } from 'node:util';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import type { RESOURCE_TYPES } from '../db/schema';

export type ResourceType = (typeof RESOURCE_TYPES)[number];
export type ChangeAction = 'create' | 'update' | 'delete';

/** Why a change was made, when a rule or a process made it: the claim that moved a figure, an import's row. */
export type Cause = Record<string, unknown>;

export type FieldChanges = Record<string, { from: unknown; to: unknown }>;

/** A place in the change feed: after the change with this (xid, seq). */
export interface FeedPosition {
  xid: number;
  seq: number;
}

/**
 * Feed cursors are written `xid.seq`. A cursor of digits alone is a `seq` from before the feed took transaction
 * ids: every change journaled then has xid 0, in `seq` order, so it still means the same place.
 */
export const FEED_CURSOR = /^(\d{1,15})(?:\.(\d{1,15}))?$/;

export function parseFeedCursor(cursor: string): FeedPosition {
  const [, first, second] = FEED_CURSOR.exec(cursor)!;
  return second === undefined ? { xid: 0, seq: Number(first) } : { xid: Number(first), seq: Number(second) };
}

export const feedCursor = (position: FeedPosition) => `${position.xid}.${position.seq}`;

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

/**
 * Writes a transaction's journal: one row per version in `changes`, which is both the history of each record
 * and the change feed. Called as the last statement before COMMIT, and takes no lock: writers commit
 * concurrently.
 *
 * The feed is ordered by (`xid`, `seq`). `xid` is the writing transaction's id, raised to the `xid` of the latest
 * stored version of any record it changes when that is higher; `seq` is drawn in the order of the entries. So
 * a record's versions appear in version order (a later version is written after the earlier one committed),
 * and the row of a transaction still running can only ever land at an `xid` at or above its own. A reader that
 * stops below the oldest running transaction (see history-repository.ts) therefore never passes a change that
 * commits later.
 */
export async function writeJournal(
  tx: Executor,
  journal: Journal,
  who: { actor: string; requestId?: string | undefined },
) {
  if (journal.pending.length === 0) return;
  // The entries travel as one JSON parameter: one parameter per entry and column would cost more to build and to
  // bind than the insert itself.
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
  // changed_at is the moment of this statement, the last before commit: a record's versions are dated in the
  // order they committed.
  await tx.execute(sql`
    WITH e AS (
      SELECT * FROM ROWS FROM (json_to_recordset(${entries}::json)
        AS (resource_type text, resource_id uuid, version integer, action text, state jsonb, diff jsonb, cause jsonb))
        WITH ORDINALITY AS e(resource_type, resource_id, version, action, state, diff, cause, n)
    ),
    position AS (
      SELECT greatest(pg_current_xact_id()::text::bigint, max(latest.xid)) AS xid
      FROM e LEFT JOIN LATERAL (
        SELECT c.xid FROM changes c
        WHERE c.resource_type = e.resource_type AND c.resource_id = e.resource_id
        ORDER BY c.version DESC LIMIT 1
      ) latest ON true
    )
    INSERT INTO changes (seq, xid, resource_type, resource_id, version, action, actor, request_id, changed_at, state, diff, cause)
    SELECT nextval('change_seq'), position.xid, e.resource_type, e.resource_id, e.version, e.action, ${who.actor},
           ${who.requestId ?? null}, clock_timestamp(), e.state, e.diff, e.cause
    FROM e CROSS JOIN position
    ORDER BY e.n`);
}
