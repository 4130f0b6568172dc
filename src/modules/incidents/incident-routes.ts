import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { idParams } from '../../http/fields';
import { idempotencyKeyHeader } from '../../http/idempotency';
import { BODY_PROBLEMS, securedProblems } from '../../http/problems';
import type { Redaction } from '../../http/redaction';
import { etagOf, ifMatchOf, writeContext } from '../../http/request-context';
import { ifMatchHeaders, resourceRoutes } from '../../http/resource-routes';
import { jsonResponse } from '../../http/responses';
import { historyRoute } from '../history/history-routes';
import type { HistoryService } from '../history/history-service';
import { incidentRepresentations } from './incident-formats';
import type { IncidentService } from './incident-service';
import {
  incidentCreateSchema,
  incidentListQuery,
  incidentPageSchema,
  incidentPatchSchema,
  incidentSchema,
  verificationRequestSchema,
  type IncidentDto,
} from './incident-schemas';

export async function incidentRoutes(
  app: FastifyInstance,
  {
    service,
    history,
    redaction,
  }: { service: IncidentService; history: HistoryService; redaction: Redaction },
) {
  const routes = resourceRoutes({
    tag: 'incidents',
    resourceType: 'incident',
    locationOf: (id) => `/v1/incidents/${id}`,
    asOf: async (id, at) => (await history.asOf('incident', id, at)).state as IncidentDto,
    redaction,
    representations: incidentRepresentations,
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
  app.route({ method: 'GET', url: '/v1/incidents', ...routes.list });
  app.route({ method: 'POST', url: '/v1/incidents', ...routes.create });
  app.route({ method: 'GET', url: '/v1/incidents/:id', ...routes.read });
  app.route({ method: 'PATCH', url: '/v1/incidents/:id', ...routes.update });
  app.route({ method: 'DELETE', url: '/v1/incidents/:id', ...routes.remove });
  app.route({
    method: 'GET',
    url: '/v1/incidents/:id/history',
    ...historyRoute({ resourceType: 'incident', singular: 'Incident', tag: 'incidents', history, redaction }),
  });

  app.withTypeProvider<ZodTypeProvider>().route({
    method: 'POST',
    url: '/v1/incidents/:id/verification',
    config: { access: 'verify', idempotent: true, responseHeaders: { 200: ['ETag', 'Idempotent-Replayed'] } },
    schema: {
      operationId: 'verifyIncident',
      tags: ['incidents'],
      summary: 'Rule on an incident’s status',
      description:
        'A verifier sets verified or discredited with a written rationale; the ruling stays until a verifier changes it or sends auto, which hands the status back to the rules. Recorded in the history.',
      params: idParams,
      headers: ifMatchHeaders.extend(idempotencyKeyHeader.shape),
      body: verificationRequestSchema,
      response: {
        200: jsonResponse(incidentSchema, 'The incident with its new status'),
        ...securedProblems(404, 409, 412, 422, ...BODY_PROBLEMS),
      },
    },
    handler: async (request, reply) => {
      const incident = await service.verify(request.params.id, request.body, {
        context: writeContext(request, { status: 200 }),
        ifMatch: ifMatchOf(request),
      });
      return reply.header('etag', etagOf(incident.version)).send(incident);
    },
  });
}
