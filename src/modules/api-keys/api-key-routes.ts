import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idParams } from '../../http/fields';
import { sendPage } from '../../http/pagination';
import { BODY_PROBLEMS, securedProblems } from '../../http/problems';
import { idempotencyKeyHeader } from '../../http/idempotency';
import { writeContext } from '../../http/request-context';
import { jsonResponse } from '../../http/responses';
import {
  apiKeyCreatedSchema,
  apiKeyCreateSchema,
  apiKeyListQuery,
  apiKeyPageSchema,
} from './api-key-schemas';
import type { ApiKeyService } from './api-key-service';

const tags = ['api-keys'];

export async function apiKeyRoutes(parent: FastifyInstance, { service }: { service: ApiKeyService }) {
  const app = parent.withTypeProvider<ZodTypeProvider>();

  app.route({
    method: 'GET',
    url: '/v1/api-keys',
    config: { access: 'admin', responseHeaders: { 200: ['Link', 'X-Total-Count'] } },
    schema: {
      operationId: 'listApiKeys',
      tags,
      summary: 'List API keys',
      description: 'Admin only. Secrets are never shown again after creation.',
      querystring: apiKeyListQuery,
      response: { 200: jsonResponse(apiKeyPageSchema, 'A page of keys'), ...securedProblems() },
    },
    handler: async (request, reply) => sendPage(request, reply, await service.list(request.query)),
  });

  app.route({
    method: 'POST',
    url: '/v1/api-keys',
    config: {
      access: 'admin',
      idempotent: true,
      responseHeaders: { 201: ['Location', 'Idempotent-Replayed'] },
    },
    schema: {
      operationId: 'createApiKey',
      tags,
      summary: 'Create an API key',
      description:
        'Admin only. The response carries the secret, once: it is stored only as a hash. A retry with the same Idempotency-Key returns the same key, never a second one, but without its secret (`secret` is null), which is not kept anywhere.',
      headers: idempotencyKeyHeader,
      body: apiKeyCreateSchema,
      response: {
        201: jsonResponse(apiKeyCreatedSchema, 'The key, with its secret'),
        ...securedProblems(409, 422, ...BODY_PROBLEMS),
      },
    },
    handler: async (request, reply) => {
      const location = (item: unknown) => `/v1/api-keys/${(item as { id: string }).id}`;
      const key = await service.create(request.body, {
        context: writeContext(request, {
          status: 201,
          location,
          // A retry gets the key but never its secret: the secret is not stored, even for idempotency.
          remember: (result) => ({ ...(result as object), secret: null }),
        }),
      });
      return reply
        .status(201)
        .header('location', `/v1/api-keys/${key.id}`)
        .header('cache-control', 'no-store')
        .send(key);
    },
  });

  app.route({
    method: 'DELETE',
    url: '/v1/api-keys/:id',
    config: { access: 'admin' },
    schema: {
      operationId: 'revokeApiKey',
      tags,
      summary: 'Revoke an API key',
      description:
        'Admin only. The key stops working at once on this instance (within seconds on others). The last live admin key cannot be revoked (409): create another first.',
      params: idParams,
      response: { 204: z.undefined().describe('Revoked'), ...securedProblems(404, 409, ...BODY_PROBLEMS) },
    },
    handler: async (request, reply) => {
      await service.revoke(request.params.id, { context: writeContext(request) });
      app.forgetKeys();
      return reply.status(204).send();
    },
  });
}
