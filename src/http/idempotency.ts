import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { idempotencyKeys } from '../db/schema';
import { ProblemError } from './problems';
import { actorOf, etagOf } from './request-context';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** POST routes that honour Idempotency-Key. */
    idempotent?: boolean;
  }
}

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_HOURS = 24;
// A key still in progress after this long belongs to a request that died before committing: nothing was
// written (the stored response commits with the write), so it may run again.
const ABANDONED_AFTER_SECONDS = 300;

export const idempotencyKeyHeader = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 visible ASCII characters')
    .optional()
    .describe(
      `A unique key per intended write (e.g. a UUID). A retry with the same key and body within ${IDEMPOTENCY_TTL_HOURS} h returns the first response without writing again; the same key with another body is 422; a retry while the first is still running is 409.`,
    ),
});

const hashRequest = (method: string, url: string, body: unknown) =>
  createHash('sha256')
    .update(JSON.stringify([method, url, body ?? null]))
    .digest('hex');

/**
 * Idempotency-Key for POST: the first request claims the key before it runs, its response is stored in the
 * transaction of its write, and a retry is answered from the store.
 */
export function registerIdempotency(app: FastifyInstance, db: Db) {
  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (!request.routeOptions.config.idempotent || typeof key !== 'string') return;
    const actor = actorOf(request);
    const requestHash = hashRequest(request.method, request.url, request.body);

    // A remembered key past its time, or abandoned by a request that never committed, is free again.
    await db
      .delete(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.actor, actor),
          eq(idempotencyKeys.key, key),
          sql`(${idempotencyKeys.expiresAt} < now() OR (${idempotencyKeys.completedAt} IS NULL AND ${idempotencyKeys.createdAt} < now() - make_interval(secs => ${ABANDONED_AFTER_SECONDS})))`,
        ),
      );
    const claimed = await db
      .insert(idempotencyKeys)
      .values({
        actor,
        key,
        requestHash,
        expiresAt: sql`now() + make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`,
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (claimed.length > 0) {
      request.idempotencyKey = { actor, key };
      return;
    }

    const [stored] = await db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key)));
    if (!stored) {
      throw new ProblemError(
        409,
        'idempotency-conflict',
        'The Idempotency-Key is in use by another request; retry.',
      );
    }
    if (stored.requestHash !== requestHash) {
      throw new ProblemError(
        422,
        'idempotency-key-reused',
        'This Idempotency-Key was used for a different request; use a new key for a new request.',
        {
          errors: [
            { path: 'header.idempotency-key', message: 'already used with another method, path or body' },
          ],
        },
      );
    }
    if (stored.completedAt === null || stored.responseStatus === null) {
      throw new ProblemError(
        409,
        'idempotency-in-progress',
        'A request with this Idempotency-Key is still being processed; retry shortly.',
      );
    }
    const body = stored.responseBody as { version?: number } | null;
    reply.status(stored.responseStatus).header('idempotent-replayed', 'true');
    if (stored.responseLocation) reply.header('location', stored.responseLocation);
    if (typeof body?.version === 'number') reply.header('etag', etagOf(body.version));
    return reply.send(body);
  });

  // A request that failed wrote nothing; free its key before answering, so that a corrected retry can run.
  app.addHook('onSend', async (request, reply) => {
    if (!request.idempotencyKey || reply.statusCode < 400) return;
    const { actor, key } = request.idempotencyKey;
    await db
      .delete(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.actor, actor),
          eq(idempotencyKeys.key, key),
          isNull(idempotencyKeys.completedAt),
        ),
      )
      .catch((err: unknown) => request.log.warn({ err }, 'could not release an idempotency key'));
  });

  // Forget expired keys now and then, so the table stays small.
  let requests = 0;
  app.addHook('onResponse', async (request) => {
    if (!request.idempotencyKey || ++requests % 100 !== 0) return;
    await db
      .delete(idempotencyKeys)
      .where(lt(idempotencyKeys.expiresAt, sql`now()`))
      .catch((err: unknown) => request.log.warn({ err }, 'could not purge expired idempotency keys'));
  });
}
