import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/client';
import {
  claimIdempotencyKey,
  IDEMPOTENCY_TTL_HOURS,
  purgeExpiredIdempotencyKeys,
  releaseIdempotencyKey,
  requestFingerprint,
  type IdempotencyKey,
} from '../core/idempotency';
import { actorOf, etagOf } from './request-context';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** POST routes that honour Idempotency-Key. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** Set by the idempotency hook when a POST carries an Idempotency-Key not seen before. */
    idempotencyKey?: IdempotencyKey;
  }
}

export const idempotencyKeyHeader = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 visible ASCII characters')
    .optional()
    .describe(
      `A unique key per intended write (e.g. a UUID). A retry with the same key and body within ${IDEMPOTENCY_TTL_HOURS} h returns the first response without writing again; the same key with another body is 422; a retry while the first is still running is 409.`,
    ),
});

/**
 * Idempotency-Key for POST routes that declare `idempotent`: the first request claims the key before it runs (the
 * write kernel stores its response with the write), and a retry is answered from the store.
 */
export function registerIdempotency(app: FastifyInstance, db: Db) {
  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (!request.routeOptions.config.idempotent || typeof key !== 'string') return;
    const id = { actor: actorOf(request), key };
    const claim = await claimIdempotencyKey(
      db,
      id,
      requestFingerprint(request.method, request.url, request.body),
    );
    if (claim.claimed) {
      request.idempotencyKey = id;
      return;
    }
    const { status, body, location } = claim.stored;
    reply.status(status).header('idempotent-replayed', 'true');
    if (location) reply.header('location', location);
    const version = (body as { version?: unknown } | null)?.version;
    if (typeof version === 'number') reply.header('etag', etagOf(version));
    return reply.send(body);
  });

  // A request that failed wrote nothing; free its key before answering, so that a corrected retry can run.
  app.addHook('onSend', async (request, reply) => {
    if (!request.idempotencyKey || reply.statusCode < 400) return;
    await releaseIdempotencyKey(db, request.idempotencyKey).catch((err: unknown) =>
      request.log.warn({ err }, 'could not release an idempotency key'),
    );
  });

  // Forget expired keys now and then, so the table stays small.
  let requests = 0;
  app.addHook('onResponse', async (request) => {
    if (!request.idempotencyKey || ++requests % 100 !== 0) return;
    await purgeExpiredIdempotencyKeys(db).catch((err: unknown) =>
      request.log.warn({ err }, 'could not purge expired idempotency keys'),
    );
  });
}
