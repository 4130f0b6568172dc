import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ProblemError } from './problems';

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

export const pageSchema = <T extends z.ZodType>(item: T, id: string) =>
  z
    .object({
      data: z.array(item),
      next_cursor: z
        .string()
        .nullable()
        .describe('Pass as `cursor` for the next page; null on the last page'),
    })
    .meta({ id });

/** Where a page ended: the sort it was taken with and the sort key of its last row (ending with the id). */
export interface KeysetPosition {
  sort: string;
  after: (string | number | null)[];
}

const cursorPayload = z.object({
  s: z.string(),
  a: z.array(z.union([z.string(), z.number(), z.null()])).min(1),
});

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify({ s: position.sort, a: position.after }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, sort: string): KeysetPosition | undefined {
  if (cursor === undefined) return undefined;
  let payload: z.infer<typeof cursorPayload>;
  try {
    payload = cursorPayload.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new ProblemError(400, 'invalid-cursor', 'The cursor is not one this API issued.', {
      errors: [{ path: 'query.cursor', message: 'not a cursor issued by this API' }],
    });
  }
  if (payload.s !== sort) {
    throw new ProblemError(
      400,
      'invalid-cursor',
      `The cursor was issued for sort=${payload.s}, not sort=${sort}.`,
      {
        errors: [
          { path: 'query.cursor', message: 'issued for another sort order; keep the same sort while paging' },
        ],
      },
    );
  }
  return { sort: payload.s, after: payload.a };
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Sets `Link: rel="next"` to this request's URL with `param` set to `value`, keeping every other parameter. */
export function linkNext(request: FastifyRequest, reply: FastifyReply, param: string, value: string) {
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  url.searchParams.set(param, value);
  reply.header('link', `<${url.toString()}>; rel="next"`);
}

/** Sends a page with its `Link: rel="next"` header when another page follows. */
export function sendPage<T>(request: FastifyRequest, reply: FastifyReply, page: Page<T>) {
  if (page.nextCursor) linkNext(request, reply, 'cursor', page.nextCursor);
  return { data: page.data, next_cursor: page.nextCursor };
}
