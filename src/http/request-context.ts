import type { FastifyRequest } from 'fastify';
import type { IdempotencyKey, IdempotentResponse } from '../core/idempotency';
import type { WriteContext, WriteOptions } from '../core/write';
import { atLeast } from './access';

/** Who is asking, as history records it: the API key's id, or anonymous. */
export const actorOf = (request: FastifyRequest) => request.caller?.keyId ?? 'anonymous';

/** The write context of a request: its actor, its id, and where to store its idempotent response. */
export function writeContext(
  request: FastifyRequest,
  response?: Omit<IdempotentResponse, keyof IdempotencyKey>,
): WriteContext {
  return {
    actor: actorOf(request),
    requestId: String(request.id),
    mayReview: atLeast(request.caller.role, 'verifier'),
    ...(request.idempotencyKey && response
      ? { idempotency: { ...request.idempotencyKey, ...response } }
      : {}),
  };
}

/** The strong entity tag of a record version. */
export const etagOf = (version: number) => `"${version}"`;

/**
 * If-Match (RFC 9110 §13.1.1): `*` matches any current record; otherwise the strong tags listed. A weak or
 * malformed tag matches nothing, so the write is refused rather than applied unconditionally.
 */
export function ifMatchOf(request: FastifyRequest): WriteOptions['ifMatch'] {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const tags = header.split(',').map((t) => t.trim());
  if (tags.includes('*')) return () => true;
  const versions = new Set(tags.flatMap((t) => (/^"(\d{1,10})"$/.exec(t) ? [Number(t.slice(1, -1))] : [])));
  return (version) => versions.has(version);
}

/** If-None-Match on reads (weak comparison): true when the client already holds this version. */
export function clientHasVersion(request: FastifyRequest, version: number): boolean {
  const header = request.headers['if-none-match'];
  if (header === undefined) return false;
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etagOf(version));
}
