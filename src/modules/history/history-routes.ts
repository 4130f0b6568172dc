import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { problemResponses } from '../../http/problems';
import { jsonResponse } from '../../http/responses';
import type { HistoryService } from './history-service';
import { changeFeedQuery, changeFeedSchema } from './history-schemas';

export async function changeFeedRoutes(parent: FastifyInstance, { history }: { history: HistoryService }) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  app.route({
    method: 'GET',
    url: '/changes',
    config: { responseHeaders: { 200: ['Link'] } },
    schema: {
      operationId: 'listChanges',
      tags: ['changes'],
      summary: 'Every change, in commit order',
      description:
        'Every create, update and delete of sources, incidents and claims, in the order they were committed, deletes included as tombstones. Mirror the database by storing `next_cursor` and asking again with `after`: a change is never skipped, even when transactions commit out of order.',
      querystring: changeFeedQuery,
      response: {
        200: jsonResponse(changeFeedSchema, 'The changes after the cursor'),
        ...problemResponses(),
      },
    },
    handler: async (request, reply) => {
      const { data, nextCursor, full } = await history.feed(Number(request.query.after), request.query.limit);
      if (full) {
        const url = new URL(request.url, `${request.protocol}://${request.host}`);
        url.searchParams.set('after', nextCursor);
        reply.header('link', `<${url.toString()}>; rel="next"`);
      }
      return { data, next_cursor: nextCursor };
    },
  });
}
