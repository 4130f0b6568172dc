import { createHash } from 'node:crypto';
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/client';
import { idempotencyKeys } from '../db/schema';
import { AppError } from './errors';

/**
 * Idempotency keys: the first request with a key claims it before it runs, its response is stored in the
 * transaction of its write (see write.ts), and a retry is answered from the store. Nothing here knows how the
 * request arrived: the HTTP hook hashes the request and sends the stored response.
 */

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_HOURS = 24;
// A key still in progress after this long belongs to a request that died before committing: nothing was
// written (the stored response commits with the write), so it may run again.
const ABANDONED_AFTER_SECONDS = 300;

/** A key, as remembered for one caller. */
export interface IdempotencyKey {
  actor: string;
  key: string;
}

/** What a write stores with its key: the response to give a retry. */
export interface IdempotentResponse extends IdempotencyKey {
  status: number;
  location?: (result: unknown) => string | undefined;
  /** What a retry is given of the result, when not all of it may be stored (a key's secret). */
  remember?: (result: unknown) => unknown;
}

export interface StoredResponse {
  status: number;
  body: unknown;
  location: string | null;
}

/** The fingerprint of a request: a key may only be used again for the same one. */
export const requestFingerprint = (method: string, url: string, body: unknown) =>
  createHash('sha256')
    .update(JSON.stringify([method, url, body ?? null]))
    .digest('hex');

const keyIs = ({ actor, key }: IdempotencyKey) =>
  and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key));

/**
 * Claims a key for a request about to run, or finds the response of the request that used it first. Throws
 * when the key was used for another request, or its first request is still running.
 */
export async function claimIdempotencyKey(
  db: Db,
  id: IdempotencyKey,
  fingerprint: string,
): Promise<{ claimed: true } | { claimed: false; stored: StoredResponse }> {
  // A remembered key past its time, or abandoned by a request that never committed, is free again.
  await db
    .delete(idempotencyKeys)
    .where(
      and(
        keyIs(id),
        sql`(${idempotencyKeys.expiresAt} < now() OR (${idempotencyKeys.completedAt} IS NULL AND ${idempotencyKeys.createdAt} < now() - make_interval(secs => ${ABANDONED_AFTER_SECONDS})))`,
      ),
    );
  const claimed = await db
    .insert(idempotencyKeys)
    .values({
      ...id,
      requestHash: fingerprint,
      expiresAt: sql`now() + make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`,
    })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (claimed.length > 0) return { claimed: true };

  const [stored] = await db.select().from(idempotencyKeys).where(keyIs(id));
  if (!stored) {
    throw new AppError(
      'conflict',
      'idempotency-conflict',
      'The Idempotency-Key is in use by another request; retry.',
    );
  }
  if (stored.requestHash !== fingerprint) {
    throw new AppError(
      'unprocessable',
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
    throw new AppError(
      'conflict',
      'idempotency-in-progress',
      'A request with this Idempotency-Key is still being processed; retry shortly.',
    );
  }
  return {
    claimed: false,
    stored: { status: stored.responseStatus, body: stored.responseBody, location: stored.responseLocation },
  };
}

/** Stores the response of a write under its key, in the write's transaction. */
export async function storeIdempotentResponse(tx: Executor, response: IdempotentResponse, result: unknown) {
  await tx
    .update(idempotencyKeys)
    .set({
      responseStatus: response.status,
      responseBody: (response.remember ? response.remember(result) : result) ?? null,
      responseLocation: response.location?.(result) ?? null,
      completedAt: sql`now()`,
    })
    .where(keyIs(response));
}

/** Frees a key whose request failed: it wrote nothing, so a corrected retry may run. */
export async function releaseIdempotencyKey(db: Db, id: IdempotencyKey) {
  await db.delete(idempotencyKeys).where(and(keyIs(id), isNull(idempotencyKeys.completedAt)));
}

/** Forgets expired keys, so the table stays small. */
export async function purgeExpiredIdempotencyKeys(db: Db) {
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, sql`now()`));
}
