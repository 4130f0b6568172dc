import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Page } from '../core/paging';

/**
 * Sets `Link` to this request's URL without `param` as `rel="first"` (the first page, with the same filters) and,
 * when another page follows, with `param` set to `next` as `rel="next"`, keeping every other parameter.
 */
export function linkPages(request: FastifyRequest, reply: FastifyReply, param: string, next: string | null) {
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  const first = new URL(url);
  first.searchParams.delete(param);
  const links = [`<${first.toString()}>; rel="first"`];
  if (next !== null) {
    url.searchParams.set(param, next);
    links.unshift(`<${url.toString()}>; rel="next"`);
  }
  reply.header('link', links.join(', '));
}

/**
 * Sends a page with its `Link` header (`next` when another page follows, and `first`); with `count=true` the page
 * carries `total`, also in `X-Total-Count` for the formats that have no envelope.
 */
export function sendPage<T>(request: FastifyRequest, reply: FastifyReply, page: Page<T>) {
  linkPages(request, reply, 'cursor', page.nextCursor);
  if (page.total !== undefined) reply.header('x-total-count', page.total);
  return {
    data: page.data,
    next_cursor: page.nextCursor,
    ...(page.total !== undefined ? { total: page.total } : {}),
  };
}
