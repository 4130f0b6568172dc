import { and, asc, desc, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { AppError } from './errors';

/**
 * Keyset (cursor) pagination: a page is the rows after the last key of the page before, in a total order that
 * ends with the id. The cursor is that key, encoded; an index on the same columns answers a deep page as fast as
 * the first.
 */

export const MAX_PAGE_SIZE = 1000;

export const pageQuerySchema = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(50)
    .describe(`Page size, 1–${MAX_PAGE_SIZE}`),
  cursor: z
    .string()
    .max(2048)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor returned by the API')
    .optional()
    .describe('Opaque cursor from `next_cursor` of the previous page'),
};

/** `count=true`: the page also says how many records the filters select in all (lists that can count take it). */
export const countQuerySchema = {
  count: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('true: add `total`, the exact number of records the filters select (one more query)'),
};

export const pageSchema = <T extends z.ZodType>(item: T, id: string, example?: object) =>
  z
    .object({
      data: z.array(item),
      next_cursor: z
        .string()
        .nullable()
        .describe('Pass as `cursor` for the next page; null on the last page'),
      total: z
        .number()
        .int()
        .optional()
        .describe('With count=true: how many records the filters select, on every page'),
    })
    .meta({ id, ...(example ? { examples: [example] } : {}) });

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
  /** With `count=true`: how many records the filters select in all. */
  total?: number;
}

/** Where a page ended: the sort it was taken with and the sort key of its last row (ending with the id). */
export interface KeysetPosition {
  sort: string;
  after: (string | number | null)[];
}

const cursorPayload = z.object({
  s: z.string(),
  a: z.array(z.union([z.string(), z.number(), z.null()])).min(1),
});

const invalidCursor = (
  detail = 'The cursor is not one this API issued.',
  message = 'not a cursor issued by this API',
) => new AppError('invalid', 'invalid-cursor', detail, { errors: [{ path: 'query.cursor', message }] });

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify({ s: position.sort, a: position.after }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, sort: string): KeysetPosition | undefined {
  if (cursor === undefined) return undefined;
  let payload: z.infer<typeof cursorPayload>;
  try {
    payload = cursorPayload.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw invalidCursor();
  }
  if (payload.s !== sort) {
    // Neither order is named: a cursor's contents are the server's own, and an order may carry a digest of q.
    throw invalidCursor(
      'The cursor was issued for another order of this list: keep the sort (and q) it was issued with while paging.',
      'issued for another sort order; keep the same sort while paging',
    );
  }
  return { sort: payload.s, after: payload.a };
}

type KeyType = 'timestamp' | 'date' | 'uuid' | 'integer' | 'real' | 'text';

/** One way a list can be ordered: its key columns, ending with the unique id so the order is total. */
export interface SortSpec {
  /** Columns or expressions (an expression index makes the latter fast). */
  columns: { column: AnyColumn | SQL; type: KeyType }[];
  descending: boolean;
}

const CASTS: Record<KeyType, string> = {
  timestamp: 'timestamptz',
  date: 'date',
  uuid: 'uuid',
  integer: 'integer',
  real: 'real',
  text: 'text',
};

function keyValue(value: unknown, type: KeyType): string | number | null {
  if (value === null || value === undefined) return null;
  if (type === 'timestamp') return (value as Date).toISOString();
  return value as string | number;
}

/** Checks a decoded cursor value against the key's type, so a forged cursor is refused, never a database error. */
function validKeyValue(value: unknown, type: KeyType): boolean {
  switch (type) {
    case 'timestamp':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    case 'date':
      return (
        typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value))
      );
    case 'uuid':
      return (
        typeof value === 'string' &&
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
      );
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 2 ** 31;
    case 'real':
      return typeof value === 'number' && Number.isFinite(value);
    case 'text':
      return typeof value === 'string';
  }
}

export interface KeysetQuery {
  orderBy: SQL[];
  /** The condition selecting rows after the cursor, if one was given. */
  after: SQL | undefined;
  /** How many rows to fetch: one more than the page, to learn whether another page follows. */
  fetch: number;
  /** Cuts the fetched rows to the page and builds the cursor of the next page, if there is one. */
  page<R>(rows: R[], keyOf: (row: R) => unknown[]): { rows: R[]; nextCursor: string | null };
}

/**
 * Keyset pagination over a row comparison, which an index on the same columns answers directly:
 * a deep page costs what the first does.
 */
export function keyset(
  sortName: string,
  spec: SortSpec,
  cursor: string | undefined,
  limit: number,
): KeysetQuery {
  const position = decodeCursor(cursor, sortName);
  let after: SQL | undefined;
  if (position) {
    const values = position.after;
    if (
      values.length !== spec.columns.length ||
      !spec.columns.every((c, i) => validKeyValue(values[i], c.type))
    ) {
      throw invalidCursor();
    }
    const columns = sql.join(
      spec.columns.map((c) => sql`${c.column}`),
      sql`, `,
    );
    const params = sql.join(
      spec.columns.map((c, i) => sql`${values[i]}::${sql.raw(CASTS[c.type])}`),
      sql`, `,
    );
    after = spec.descending ? sql`(${columns}) < (${params})` : sql`(${columns}) > (${params})`;
  }
  return {
    orderBy: spec.columns.map((c) => (spec.descending ? desc(c.column) : asc(c.column))),
    after,
    fetch: limit + 1,
    page(rows, keyOf) {
      if (rows.length <= limit) return { rows, nextCursor: null };
      const pageRows = rows.slice(0, limit);
      const key = keyOf(pageRows[limit - 1]!);
      const next: KeysetPosition = {
        sort: sortName,
        after: key.map((v, i) => keyValue(v, spec.columns[i]!.type)),
      };
      return { rows: pageRows, nextCursor: encodeCursor(next) };
    },
  };
}

export const allOf = (...conditions: (SQL | undefined)[]) => and(...conditions.filter(Boolean));

/** The order lists use by default: when the record was created, oldest first, then by id. */
export const byCreation = (createdAt: AnyColumn, id: AnyColumn): SortSpec => ({
  columns: [
    { column: createdAt, type: 'timestamp' },
    { column: id, type: 'uuid' },
  ],
  descending: false,
});
