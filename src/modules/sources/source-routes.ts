import type { FastifyInstance } from 'fastify';
import { registerCrudRoutes } from '../../http/crud-routes';
import { sourceRepresentations } from './source-formats';
import type { Redaction } from '../../http/redaction';
import type { HistoryService } from '../history/history-service';
import type { SourceService } from './source-service';
import {
  sourceCreateSchema,
  sourceListQuery,
  sourcePageSchema,
  sourcePatchSchema,
  sourceSchema,
} from './source-schemas';

export async function sourceRoutes(
  app: FastifyInstance,
  { service, history, redaction }: { service: SourceService; history: HistoryService; redaction: Redaction },
) {
  registerCrudRoutes(app, {
    collection: 'sources',
    resourceType: 'source',
    history,
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
}
