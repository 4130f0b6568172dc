import { sql } from 'drizzle-orm';
import type { Response } from 'supertest';
import { queryRows, type Database } from '../../src/db/client';
import type { TestApp } from './app';

type Http = TestApp['http'];

/**
 * A supertest body parser that keeps the body as text, whatever its content type (CSV, NDJSON, GeoJSON, a
 * streamed report): `.buffer(true).parse(asText)`, then `res.body` is the string.
 */
export function asText(res: Response, done: (err: Error | null, body: string) => void) {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  res.on('end', () => done(null, text));
}
type Body = Record<string, unknown>;

/** A minimal valid source request body; overrides win, `undefined` removes a field. */
export function sourceBody(overrides: Body = {}): Body {
  return withoutUndefined({ name: 'Syrian Network for Human Rights', kind: 'monitor', ...overrides });
}

/** A minimal valid incident request body; overrides win, `undefined` removes a field. */
export function incidentBody(overrides: Body = {}): Body {
  return withoutUndefined({
    title: 'Shelling of the central market',
    category: 'explosion_remote_violence',
    occurred_from: '2025-03-07',
    ...overrides,
  });
}

/** A minimal valid claim request body; overrides win, `undefined` removes a field. */
export function claimBody(incidentId: string, sourceId: string, overrides: Body = {}): Body {
  return withoutUndefined({ incident_id: incidentId, source_id: sourceId, ...overrides });
}

export async function createSource(http: Http, overrides: Body = {}) {
  return created(await http.post('/v1/sources').send(sourceBody(overrides)), 'source');
}

export async function createIncident(http: Http, overrides: Body = {}) {
  return created(await http.post('/v1/incidents').send(incidentBody(overrides)), 'incident');
}

export async function createClaim(http: Http, incidentId: string, sourceId: string, overrides: Body = {}) {
  return created(await http.post('/v1/claims').send(claimBody(incidentId, sourceId, overrides)), 'claim');
}

function withoutUndefined(body: Body): Body {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

// A factory failing silently would make the test under it fail somewhere confusing; fail here instead.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function created(res: { status: number; body: any }, what: string): any {
  if (res.status !== 201)
    throw new Error(`creating a ${what} failed with ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Rows in a table, soft-deleted ones included: the check that a refused request wrote nothing. */
export async function countRows(
  database: Database,
  table: 'sources' | 'incidents' | 'claims',
): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    database.db,
    sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)}`,
  );
  return row!.n;
}

export interface ExpectedProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
  constraint?: string;
}

/** Asserts a whole RFC 9457 body: the fields given, the request path as `instance`, and the echoed request id. */
export function expectProblem(
  res: { status: number; headers: Record<string, string>; body: unknown; req?: { path?: string } },
  expected: ExpectedProblem,
) {
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  expect(res.body).toEqual({
    ...expected,
    instance: res.req?.path?.split('?')[0],
    request_id: res.headers['x-request-id'],
  });
  expect(res.status).toBe(expected.status);
}

/** The validation problem for one or more invalid inputs. */
export function validationProblem(
  where: 'body' | 'query' | 'path',
  errors: { path: string; message: string }[],
): ExpectedProblem {
  return {
    type: '/problems/validation',
    title: 'Invalid request',
    status: 400,
    detail: `The request ${where} is not valid: ${errors.length} problem(s), listed in errors.`,
    errors,
  };
}

export function notFoundProblem(resource: string, id: string): ExpectedProblem {
  return {
    type: '/problems/not-found',
    title: 'Not Found',
    status: 404,
    detail: `No ${resource} with id ${id}.`,
  };
}

/**
 * A version is dated when it commits, which is at or shortly after its transaction began (the record's
 * updated_at): this matches a commit time not before `start` and within a minute of it.
 */
export const committedAtOrAfter = (start: string) => ({
  asymmetricMatch: (value: unknown) =>
    typeof value === 'string' &&
    Date.parse(value) >= Date.parse(start) &&
    Date.parse(value) - Date.parse(start) < 60_000,
  toAsymmetricMatcher: () => `a commit time at or after ${start}`,
});

/** The targets of a Link header (RFC 8288) by relation: `linkTargets(res.headers.link).next`. */
export function linkTargets(header: string | undefined): Record<string, string> {
  const found: Record<string, string> = {};
  for (const match of (header ?? '').matchAll(/<([^>]*)>\s*;\s*rel="([^"]+)"/g)) found[match[2]!] = match[1]!;
  return found;
}
