import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Page } from '../core/paging';

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
