import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idParams } from '../../http/fields';
import { chooseFormat, exampleOf, formatExamples, sendFormattedPage, withExample } from '../../http/formats';
import { requireRole } from '../../http/access';
import { sendPage } from '../../http/pagination';
import { securedProblems } from '../../http/problems';
import type { Redaction } from '../../http/redaction';
import { resourceRoutes } from '../../http/resource-routes';
import { historyRoute } from '../history/history-routes';
import type { HistoryService } from '../history/history-service';
import { claimRepresentations } from './claim-formats';
import type { IncidentService } from '../incidents/incident-service';
import type { ClaimService } from './claim-service';
import {
  claimCreateSchema,
  claimListQuery,
  claimPageSchema,
  claimPatchSchema,
  claimSchema,
  incidentClaimListQuery,
  type ClaimDto,
} from './claim-schemas';

export async function claimRoutes(
  app: FastifyInstance,
  {
    service,
    incidents,
    history,
    redaction,
  }: {
    service: ClaimService;
    incidents: Pick<IncidentService, 'assertLive'>;
    history: HistoryService;
    redaction: Redaction;
  },
) {
  const routes = resourceRoutes({
    tag: 'claims',
    resourceType: 'claim',
    locationOf: (id) => `/v1/claims/${id}`,
    asOf: async (id, at) => (await history.asOf('claim', id, at)).state as ClaimDto,
    redaction,
    representations: claimRepresentations,
    // Accepting or rejecting a claim moves the incident's status and figures: that is a verifier's call.
    authorizeWrite: (request, body, method) => {
      const { review_status: status, review_note: note } = body as {
        review_status?: string;
        review_note?: unknown;
      };
      const reviews =
        method === 'POST'
          ? status !== undefined && status !== 'pending'
          : status !== undefined || note !== undefined;
      if (reviews) requireRole(request, 'verifier', 'Reviewing a claim (review_status, review_note)');
    },
    singular: 'Claim',
    plural: 'Claims',
    schemas: {
      item: claimSchema,
      create: claimCreateSchema,
      patch: claimPatchSchema,
      listQuery: claimListQuery,
      page: claimPageSchema,
    },
    service,
    descriptions: {
      list: 'Claims in the order they were recorded, keyset-paginated.',
      create:
        'Records what one source says about one incident. The incident and source must exist (422 otherwise); the incident’s status and casualties are recomputed in the same transaction.',
      update:
        'Partial update, including review (review_status, review_note). The incident’s status and casualties are recomputed in the same transaction.',
      remove: 'Soft delete: the claim is kept, stops appearing and stops counting towards its incident.',
    },
  });
  app.route({ method: 'GET', url: '/v1/claims', ...routes.list });
  app.route({ method: 'POST', url: '/v1/claims', ...routes.create });
  app.route({ method: 'GET', url: '/v1/claims/:id', ...routes.read });
  app.route({ method: 'PATCH', url: '/v1/claims/:id', ...routes.update });
  app.route({ method: 'DELETE', url: '/v1/claims/:id', ...routes.remove });
  app.route({
    method: 'GET',
    url: '/v1/claims/:id/history',
    ...historyRoute({ resourceType: 'claim', singular: 'Claim', tag: 'claims', history, redaction }),
  });

  const examples = formatExamples(claimRepresentations, exampleOf<ClaimDto>(claimSchema));
  app.withTypeProvider<ZodTypeProvider>().route({
    method: 'GET',
    url: '/v1/incidents/:id/claims',
    config: { access: 'read', responseHeaders: { 200: ['Link', 'X-Total-Count'] } },
    schema: {
      operationId: 'listIncidentClaims',
      tags: ['claims', 'incidents'],
      summary: 'List the claims about an incident',
      description: 'The same filters as /v1/claims, for the incident named in the path.',
      params: idParams,
      querystring: incidentClaimListQuery,
      response: {
        200: {
          description: 'A page of the incident’s claims',
          content: {
            'application/json': { schema: claimPageSchema },
            'application/x-ndjson': {
              schema: withExample(
                z.string().describe('One claim per line; the next page is in Link'),
                examples.ndjson,
              ),
            },
            'text/csv': {
              schema: withExample(
                z.string().describe('A header row (and an HXL row with hxl=true), then one row per claim'),
                examples.csv,
              ),
            },
          },
        },
        ...securedProblems(404, 406),
      },
    },
    handler: async (request, reply) => {
      await incidents.assertLive(request.params.id);
      const { query } = request;
      const format = chooseFormat(request, ['json', 'ndjson', 'csv'], query.format);
      const redactor = await redaction(request);
      const result = await service.list({ ...query, incident_id: request.params.id });
      const data = redactor ? result.data.map((c) => redactor.record('claim', c)) : result.data;
      const page = sendPage(request, reply, { ...result, data });
      return sendFormattedPage(reply, format, claimRepresentations, page, {
        fields: query.fields,
        hxl: query.hxl,
        csvRaw: query.csv_raw,
      });
    },
  });
}
