import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../db/client';
import { AppError } from '../../core/errors';
import { problemResponses } from '../../http/problems';
import { jsonResponse } from '../../http/responses';

const healthSchema = z
  .object({ status: z.literal('ok') })
  .meta({ id: 'Health', examples: [{ status: 'ok' }] });

export async function healthRoutes(
  parent: FastifyInstance,
  { database }: { database: Pick<Database, 'ping' | 'driver'> },
) {
  const app = parent.withTypeProvider<ZodTypeProvider>();

  app.route({
    method: 'GET',
    url: '/healthz',
    config: { access: 'public' },
    schema: {
      operationId: 'getHealth',
      tags: ['operations'],
      summary: 'Liveness: the process is up',
      response: { 200: jsonResponse(healthSchema, 'The process is up'), ...problemResponses() },
    },
    logLevel: 'warn',
    handler: async () => ({ status: 'ok' as const }),
  });

  app.route({
    method: 'GET',
    url: '/readyz',
    config: { access: 'public' },
    schema: {
      operationId: 'getReadiness',
      tags: ['operations'],
      summary: 'Readiness: the database answers',
      response: {
        200: jsonResponse(
          z
            .object({ status: z.literal('ok'), database: z.enum(['postgres', 'pglite']) })
            .meta({ id: 'Readiness', examples: [{ status: 'ok', database: 'postgres' }] }),
          'The database answers',
        ),
        ...problemResponses(503),
      },
    },
    logLevel: 'warn',
    handler: async (request) => {
      try {
        await database.ping();
      } catch (err) {
        request.log.warn({ err }, 'database ping failed');
        throw new AppError('unavailable', 'unavailable', 'The database is not reachable.');
      }
      return { status: 'ok' as const, database: database.driver };
    },
  });
}
