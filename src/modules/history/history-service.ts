import type { Db } from '../../db/client';
import type { ChangeRow } from '../../db/schema';
import { iso } from '../../http/fields';
import { AppError } from '../../core/errors';
import { diffStates, feedCursor, parseFeedCursor, type ResourceType } from '../../core/journal';
import type { HistoryRepository } from './history-repository';
import type { Change, HistoryEntry } from './history-schemas';

const toEntry = (r: ChangeRow): HistoryEntry => ({
  version: r.version,
  action: r.action as HistoryEntry['action'],
  actor: r.actor,
  request_id: r.requestId,
  changed_at: iso(r.changedAt),
  // A first version is stored without its diff: every field is new.
  changes: r.diff ?? diffStates(undefined, r.state),
  cause: r.cause,
  state: r.state,
});

const toChange = (r: ChangeRow): Change => ({
  cursor: feedCursor(r),
  resource_type: r.resourceType as Change['resource_type'],
  resource_id: r.resourceId,
  version: r.version,
  action: r.action as Change['action'],
  actor: r.actor,
  changed_at: iso(r.changedAt),
  state: r.state,
});

export function createHistoryService({ db, history }: { db: Db; history: HistoryRepository }) {
  return {
    /** Every version of a record, deleted ones included; 404 only for a record that never existed. */
    async versions(type: ResourceType, id: string, query: { limit: number; cursor?: string | undefined }) {
      const { rows, nextCursor } = await history.versions(db, type, id, query);
      if (rows.length === 0 && !query.cursor) {
        throw new AppError('not-found', 'not-found', `No ${type} with id ${id} has ever existed.`);
      }
      return { data: rows.map(toEntry), nextCursor };
    },

    /** The record as it stood at `at`: 404 when it did not exist yet or had been deleted by then. */
    async asOf(type: ResourceType, id: string, at: Date): Promise<{ state: Record<string, unknown> }> {
      const row = await history.asOf(db, type, id, at);
      if (!row)
        throw new AppError(
          'not-found',
          'not-found',
          `No ${type} with id ${id} existed at ${at.toISOString()}.`,
        );
      if (row.action === 'delete') {
        throw new AppError(
          'not-found',
          'not-found',
          `The ${type} ${id} had been deleted by ${at.toISOString()}.`,
        );
      }
      return { state: row.state };
    },

    async feed(after: string, limit: number) {
      const rows = await history.feed(db, parseFeedCursor(after), limit);
      const last = rows.at(-1);
      return {
        data: rows.map(toChange),
        nextCursor: last ? feedCursor(last) : after,
        full: rows.length === limit,
      };
    },
  };
}

export type HistoryService = ReturnType<typeof createHistoryService>;
