import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idParams } from '../../http/fields';
import { sendPage } from '../../http/pagination';
import { BODY_PROBLEMS, securedProblems } from '../../http/problems';
import { actorOf } from '../../http/request-context';
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
    config: { access: 'admin', responseHeaders: { 201: ['Location'] } },
    schema: {
      operationId: 'createApiKey',
      tags,
      summary: 'Create an API key',
      description: 'Admin only. The response carries the secret, once: it is stored only as a hash.',
      body: apiKeyCreateSchema,
      response: {
        201: jsonResponse(apiKeyCreatedSchema, 'The key, with its secret'),
        ...securedProblems(...BODY_PROBLEMS),
      },
    },
    handler: async (request, reply) => {
      const key = await service.create(request.body, actorOf(request));
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
      description: 'Admin only. The key stops working at once on this instance (within seconds on others).',
      params: idParams,
      response: { 204: z.undefined().describe('Revoked'), ...securedProblems(404, ...BODY_PROBLEMS) },
    },
    handler: async (request, reply) => {
      await service.revoke(request.params.id);
      app.forgetKeys();
      return reply.status(204).send();
    },
  });
}
