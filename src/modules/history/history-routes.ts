import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { securedProblems } from '../../http/problems';
import { jsonResponse } from '../../http/responses';
import { linkNext } from '../../http/pagination';
import type { Redaction } from '../../http/redaction';
import type { HistoryService } from './history-service';
import { changeFeedQuery, changeFeedSchema } from './history-schemas';

export async function changeFeedRoutes(
  parent: FastifyInstance,
  { history, redaction }: { history: HistoryService; redaction: Redaction },
) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  app.route({
    method: 'GET',
    url: '/changes',
    config: { access: 'read', responseHeaders: { 200: ['Link'] } },
    schema: {
      operationId: 'listChanges',
      tags: ['changes'],
      summary: 'Every change, in commit order',
      description:
        'Every create, update and delete of sources, incidents and claims, in the order they were committed, deletes included as tombstones. Mirror the database by storing `next_cursor` and asking again with `after`: a change is never skipped, even when transactions commit out of order.',
      querystring: changeFeedQuery,
      response: {
        200: jsonResponse(changeFeedSchema, 'The changes after the cursor'),
        ...securedProblems(),
      },
    },
    handler: async (request, reply) => {
      const feed = await history.feed(Number(request.query.after), request.query.limit);
      const { nextCursor, full } = feed;
      const redactor = await redaction(request);
      const data = redactor
        ? feed.data.map((c) => ({ ...c, state: redactor.record(c.resource_type, c.state) }))
        : feed.data;
      if (full) linkNext(request, reply, 'after', nextCursor);
      return { data, next_cursor: nextCursor };
    },
  });
}
