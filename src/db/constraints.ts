/** What each named constraint means to a client, for turning a violation into a clear problem. */
export const CONSTRAINT_RULES: Record<string, { status: 409 | 422; detail: string; path?: string }> = {
  incidents_ref_key: { status: 409, detail: 'An incident with this ref already exists.' },
  incident_external_ids_system_id_key: {
    status: 409,
    detail:
      'Another incident already carries this external id in the same system (external ids are unique per system).',
    path: 'body.external_ids',
  },
  incident_tags_pkey: { status: 409, detail: 'A tag is listed twice.', path: 'body.tags' },
  incidents_occurred_range_check: {
    status: 422,
    detail: 'occurred_to must not be before occurred_from.',
    path: 'body.occurred_to',
  },
  incidents_coordinates_pair_check: {
    status: 422,
    detail: 'latitude and longitude must be given together (or both be null).',
    path: 'body.latitude',
  },
  incidents_not_own_parent_check: {
    status: 422,
    detail: 'An incident cannot be its own parent.',
    path: 'body.parent_id',
  },
  incidents_parent_fk: { status: 422, detail: 'parent_id names no incident.', path: 'body.parent_id' },
  claims_incident_fk: { status: 422, detail: 'incident_id names no incident.', path: 'body.incident_id' },
  claims_source_fk: { status: 422, detail: 'source_id names no source.', path: 'body.source_id' },
};

/** The fields of a PostgreSQL error the mapping reads; drizzle wraps driver errors in `cause`. */
export interface PgErrorLike {
  code: string;
  constraint?: string;
  message: string;
}

export function findPgError(err: unknown): PgErrorLike | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const candidate = e as { code?: unknown; severity?: unknown; cause?: unknown };
    if (
      typeof candidate.code === 'string' &&
      /^[0-9A-Z]{5}$/.test(candidate.code) &&
      'severity' in candidate
    ) {
      return candidate as PgErrorLike;
    }
    e = candidate.cause;
  }
  return undefined;
}
