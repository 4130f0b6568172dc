import type { FastifyInstance } from 'fastify';
import { registerCrudRoutes } from '../../http/crud-routes';
import type { IncidentService } from './incident-service';
import {
  incidentCreateSchema,
  incidentListQuery,
  incidentPageSchema,
  incidentPatchSchema,
  incidentSchema,
} from './incident-schemas';

export async function incidentRoutes(app: FastifyInstance, { service }: { service: IncidentService }) {
  registerCrudRoutes(app, {
    collection: 'incidents',
    singular: 'Incident',
    plural: 'Incidents',
    schemas: {
      item: incidentSchema,
      create: incidentCreateSchema,
      patch: incidentPatchSchema,
      listQuery: incidentListQuery,
      page: incidentPageSchema,
    },
    service,
    descriptions: {
      list: 'Keyset-paginated. Filters combine with AND; the values of one filter combine with OR.',
      create:
        'Records what happened. The server assigns ref (country-year-number); status and casualties are derived from claims.',
      update:
        'Partial update: only the fields sent change; a list sent (actors, tags, external_ids) replaces the stored one.',
      remove:
        'Soft delete: the record is kept and stops appearing. Refused (409) while live claims or child incidents refer to it.',
    },
  });
}
