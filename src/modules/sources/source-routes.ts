import type { FastifyInstance } from 'fastify';
import type { Redaction } from '../../http/redaction';
import { resourceRoutes } from '../../http/resource-routes';
import { historyRoute } from '../history/history-routes';
import type { HistoryService } from '../history/history-service';
import { sourceRepresentations } from './source-formats';
import {
  sourceCreateSchema,
  sourceListQuery,
  sourcePageSchema,
  sourcePatchSchema,
  sourceSchema,
  type SourceDto,
} from './source-schemas';
import type { SourceService } from './source-service';

export async function sourceRoutes(
  app: FastifyInstance,
  { service, history, redaction }: { service: SourceService; history: HistoryService; redaction: Redaction },
) {
  const routes = resourceRoutes({
    tag: 'sources',
    resourceType: 'source',
    locationOf: (id) => `/v1/sources/${id}`,
    asOf: async (id, at) => (await history.asOf('source', id, at)).state as SourceDto,
    redaction,
    representations: sourceRepresentations,
    singular: 'Source',
    plural: 'Sources',
    schemas: {
      item: sourceSchema,
      create: sourceCreateSchema,
      patch: sourcePatchSchema,
      listQuery: sourceListQuery,
      page: sourcePageSchema,
    },
    service,
    descriptions: {
      list: 'Sources in the order they were recorded, keyset-paginated.',
      create: 'Records who speaks: a monitor, a ministry, a broadcaster, a witness.',
      update:
        'Partial update. A change of reliability or independence_group recomputes the status and casualties of every incident the source is cited on, in the same transaction.',
      remove:
        'Soft delete: the record is kept and stops appearing. Refused (409) while live claims cite the source.',
    },
  });
  app.route({ method: 'GET', url: '/v1/sources', ...routes.list });
  app.route({ method: 'POST', url: '/v1/sources', ...routes.create });
  app.route({ method: 'GET', url: '/v1/sources/:id', ...routes.read });
  app.route({ method: 'PATCH', url: '/v1/sources/:id', ...routes.update });
  app.route({ method: 'DELETE', url: '/v1/sources/:id', ...routes.remove });
  app.route({
    method: 'GET',
    url: '/v1/sources/:id/history',
    ...historyRoute({ resourceType: 'source', singular: 'Source', tag: 'sources', history, redaction }),
  });
}
