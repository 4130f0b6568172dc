import type { FastifyRequest } from 'fastify';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { sources } from '../db/schema';
import { seesProtected } from './access';

/** What a reader below contributor sees instead of a protected source's name. */
export const PROTECTED_NAME = '[protected source]';

/**
 * Fields that identify a protected source, and the fields of its claims that could identify it. A source's
 * independence group often names its circle (a witness's family, a local network), so it is withheld too.
 */
const SOURCE_FIELDS = ['acronym', 'url', 'notes', 'independence_group'] as const;
// A review note is free text in which a reviewer may well name the source.
const CLAIM_FIELDS = [
  'statement',
  'translation',
  'url',
  'archived_url',
  'content_sha256',
  'review_note',
] as const;

type ResourceType = 'source' | 'incident' | 'claim';
type Json = Record<string, unknown>;

/** Hides protected sources' identities from one request's viewer. */
export interface Redactor {
  /** A record (current or historical) as this viewer may see it. */
  record<T extends object>(type: ResourceType, record: T): T;
  /** The cause of a derived change: a ruling's rationale is hidden from it as from the record. */
  cause(type: ResourceType, cause: Json | null): Json | null;
  /** A history diff: the identifying fields' values are hidden too. */
  changes(
    type: ResourceType,
    state: Json,
    changes: Record<string, { from: unknown; to: unknown }>,
  ): typeof changes;
}

function isShielded(type: ResourceType, record: Json, protectedIds: Set<string>): boolean {
  if (type === 'source') return record.protected === true || protectedIds.has(record.id as string);
  if (type === 'claim') return protectedIds.has(record.source_id as string);
  // A verifier's rationale often names a source, as a review note does: it is never shown below contributor.
  return isRuling(record.verification);
}

const isRuling = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && 'rationale' in value;

/** A ruling as a viewer below contributor sees it: status, who and when, but not why. */
const withoutRationale = (value: unknown) => (isRuling(value) ? { ...value, rationale: null } : value);

function hide(type: ResourceType, record: Json): Json {
  if (type === 'incident') return { ...record, verification: withoutRationale(record.verification) };
  if (type === 'source') {
    const hidden: Json = { ...record, name: PROTECTED_NAME };
    for (const field of SOURCE_FIELDS) if (field in hidden) hidden[field] = null;
    return hidden;
  }
  const hidden: Json = { ...record };
  for (const field of CLAIM_FIELDS) if (field in hidden) hidden[field] = null;
  return hidden;
}

/**
 * Gives the redactor for a request (bound to the database). `of` names the only kind of record it will see, when
 * that is incidents alone: they need no lookup of protected sources.
 */
export type Redaction = (request: FastifyRequest, of?: ResourceType) => Promise<Redactor | undefined>;

/**
 * The redactor for a request, or undefined when its caller (contributor and above) may see everything. A source
 * counts as protected if it is protected now, so earlier versions from before it was protected are hidden too.
 */
export async function redactorFor(
  request: FastifyRequest,
  db: Db,
  of?: ResourceType,
): Promise<Redactor | undefined> {
  if (seesProtected(request)) return undefined;
  const rows =
    of === 'incident'
      ? []
      : await db.select({ id: sources.id }).from(sources).where(eq(sources.protected, true));
  const protectedIds = new Set(rows.map((r) => r.id));
  return {
    record(type, record) {
      return (
        isShielded(type, record as Json, protectedIds) ? hide(type, record as Json) : record
      ) as typeof record;
    },
    cause(type, cause) {
      return type === 'incident' && cause && 'rationale' in cause ? { ...cause, rationale: null } : cause;
    },
    changes(type, state, changes) {
      if (type === 'incident') {
        const ruling = changes.verification;
        if (!ruling) return changes;
        return {
          ...changes,
          verification: { from: withoutRationale(ruling.from), to: withoutRationale(ruling.to) },
        };
      }
      if (!isShielded(type, state, protectedIds)) return changes;
      const fields: readonly string[] = type === 'source' ? ['name', ...SOURCE_FIELDS] : CLAIM_FIELDS;
      return Object.fromEntries(
        Object.entries(changes).map(([field, change]) => [
          field,
          fields.includes(field)
            ? {
                from:
                  change.from === null ? null : type === 'source' && field === 'name' ? PROTECTED_NAME : null,
                to: type === 'source' && field === 'name' ? PROTECTED_NAME : null,
              }
            : change,
        ]),
      );
    },
  };
}
