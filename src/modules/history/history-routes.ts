import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ResourceType } from '../../core/journal';
import { idParams } from '../../http/fields';
import { linkPages, sendPage } from '../../http/pagination';
import { securedProblems } from '../../http/problems';
import type { Redaction } from '../../http/redaction';
import type { RouteDefinition } from '../../http/resource-routes';
import { jsonResponse } from '../../http/responses';
import type { HistoryService } from './history-service';
import { changeFeedQuery, changeFeedSchema, historyPageSchema, historyQuery } from './history-schemas';

/** GET …/{id}/history of one resource: every version, with who made it, when, what changed and why. */
export function historyRoute({
  resourceType,
  singular,
  tag,
  history,
  redaction,
}: {
  resourceType: ResourceType;
  singular: string;
  tag: string;
  history: HistoryService;
  redaction: Redaction;
}): RouteDefinition {
  const lower = singular.toLowerCase();
  const a = /^[aeiou]/.test(lower) ? `an ${lower}` : `a ${lower}`;
  return {
    config: { access: 'read', responseHeaders: { 200: ['Link'] } },
    schema: {
      operationId: `get${singular}History`,
      tags: [tag],
      summary: `Every version of ${a}`,
      description: `Each version of the ${lower}, oldest first, with who made it, when, what changed and why; deleted records keep their history.`,
      params: idParams,
      querystring: historyQuery,
      response: { 200: jsonResponse(historyPageSchema, 'A page of versions'), ...securedProblems(404) },
    },
    handler: async (request, reply) => {
      const { data, nextCursor } = await history.versions(
        resourceType,
        (request.params as { id: string }).id,
        request.query as { limit: number; cursor?: string },
      );
      const redactor = await redaction(request, resourceType);
      const entries = redactor
        ? data.map((e) => ({
            ...e,
            state: redactor.record(resourceType, e.state),
            changes: redactor.changes(resourceType, e.state, e.changes),
            cause: redactor.cause(resourceType, e.cause),
          }))
        : data;
      return sendPage(request, reply, { data: entries, nextCursor });
    },
  };
}

export async function changeFeedRoutes(
  parent: FastifyInstance,
  { history, redaction }: { history: HistoryService; redaction: Redaction },
) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  app.route({
    method: 'GET',
    url: '/v1/changes',
    config: { access: 'read', responseHeaders: { 200: ['Link'] } },
    schema: {
      operationId: 'listChanges',
      tags: ['changes'],
      summary: 'Every change, exactly once, in a stable order',
      description:
        'Every create, update and delete of sources, incidents and claims, exactly once, deletes included as tombstones; a record’s versions come in version order. Mirror the database by storing `next_cursor` and asking again with `after`: a change is never skipped, even when transactions commit out of order (a page stops before the oldest write still running).',
      querystring: changeFeedQuery,
      response: {
        200: jsonResponse(changeFeedSchema, 'The changes after the cursor'),
        ...securedProblems(),
      },
    },
    handler: async (request, reply) => {
      const feed = await history.feed(request.query.after, request.query.limit);
      const { nextCursor, full } = feed;
      const redactor = await redaction(request);
      const data = redactor
        ? feed.data.map((c) => ({ ...c, state: redactor.record(c.resource_type, c.state) }))
        : feed.data;
      linkPages(request, reply, 'after', full ? nextCursor : null);
      return { data, next_cursor: nextCursor };
    },
  });
}
