import { z } from 'zod';
import type { ErrorKind } from '../core/errors';

/** RFC 9457 problem details; `errors` lists each invalid input for validation problems. */
export const problemSchema = z
  .object({
    type: z.string().describe('URI reference identifying the problem type'),
    title: z.string().describe('Short summary of the problem type'),
    status: z.number().int().describe('The HTTP status code'),
    detail: z.string().describe('Explanation specific to this occurrence'),
    instance: z.string().optional().describe('The request path this problem occurred on'),
    request_id: z.string().optional().describe('Quote it when reporting a problem'),
    constraint: z.string().optional().describe('The data rule that was violated, for conflicts'),
    errors: z
      .array(
        z.object({
          path: z.string().describe('Where the invalid value is, e.g. body.killed or query.limit'),
          message: z.string(),
        }),
      )
      .optional(),
  })
  .meta({
    id: 'Problem',
    examples: [
      {
        type: '/problems/validation',
        title: 'Invalid request',
        status: 400,
        detail: 'Unknown query parameter "contry": did you mean "country"?',
        instance: '/v1/incidents',
        request_id: '0f5b7c1e-8a2d-4e3f-9b6a-1c2d3e4f5a60',
        errors: [
          { path: 'query.contry', message: 'Unknown query parameter "contry": did you mean "country"?' },
        ],
      },
    ],
  });

export type Problem = z.infer<typeof problemSchema>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const statusTitle = (status: number) =>
  TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');

/** Problem type URIs, relative to the API root; README lists what each means. */
export const problemType = (slug: string) => `/problems/${slug}`;

/** The HTTP status of each kind of failure the kernel and the features raise (see core/errors.ts). */
export const STATUS_OF: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  'not-acceptable': 406,
  conflict: 409,
  'precondition-failed': 412,
  'too-large': 413,
  'unsupported-media-type': 415,
  unprocessable: 422,
  unavailable: 503,
};

const problemContent = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or fails validation; `errors` lists each invalid input.',
  401: 'No API key, or one that is unknown or revoked, where this needs one.',
  403: 'The API key’s role is below what this needs.',
  404: 'No such record (or it was deleted).',
  406: 'None of the media types in Accept is available; see format=.',
  409: 'The change conflicts with a data rule or with records that depend on this one.',
  412: 'If-Match names a version that is no longer current: read the record again.',
  413: 'The request body is larger than the server accepts.',
  414: 'The URL, or one of its path segments, is longer than the server accepts.',
  415: 'The request body is not application/json.',
  422: 'The request is valid but refers to something that does not exist or cannot be used.',
  429: 'Too many requests from this key (or address): wait for Retry-After.',
  431: 'The request head (URL and headers) is larger than the server accepts (16 KiB).',
  500: 'An unexpected error; nothing internal is disclosed, the request id identifies it in the logs.',
  503: 'The database cannot be reached or did not answer in time, or the server is overloaded or shutting down: retry after Retry-After.',
};

/** What a problem of each status typically says, for the OpenAPI document's examples. */
const EXAMPLE_DETAILS: Record<number, [slug: string, detail: string, constraint?: string]> = {
  401: ['unauthorized', 'This API key is unknown or has been revoked.'],
  403: ['forbidden', 'This needs the contributor role; this key is reader.'],
  406: [
    'not-acceptable',
    'None of the media types in Accept is available here; use one of application/json, application/x-ndjson, text/csv (or format=).',
  ],
  409: [
    'conflict',
    'Another incident already carries the external id acled:SYR110002.',
    'incident_external_ids_system_external_id_unique',
  ],
  412: ['precondition-failed', 'The record is at version 3, not 2: read it again and retry.'],
  413: ['body-too-large', 'Request body is too large'],
  414: ['uri-too-long', 'A path segment is longer than 200 characters.'],
  415: ['unsupported-media-type', 'Unsupported Media Type: text/plain'],
  422: ['unprocessable', 'No source with id 3f1c9a52-7d4e-4b8a-9c21-5e6f7a8b9c01.'],
  429: ['http-429', 'Rate limit of 300 requests a minute reached; retry in 42 seconds.'],
  431: ['request-head-too-large', 'The request line and headers together exceed 16 KiB.'],
  500: [
    'internal',
    'An unexpected error occurred. It has been logged with request id 0f5b7c1e-8a2d-4e3f-9b6a-1c2d3e4f5a60.',
  ],
  503: ['unavailable', 'The database is not reachable right now; retry later.'],
};

/** An example problem of this status, for the OpenAPI document; a 400 names a bad field of the body or query. */
export function problemExample(status: number, instance: string, hasBody: boolean): Problem {
  const request_id = '0f5b7c1e-8a2d-4e3f-9b6a-1c2d3e4f5a60';
  if (status === 400) {
    const [path, message] = hasBody
      ? ['body.killed', 'Too small: expected number to be >=0']
      : ['query.contry', 'Unknown query parameter "contry": did you mean "country"?'];
    return {
      type: problemType('validation'),
      title: 'Invalid request',
      status,
      detail: hasBody ? 'The request body is not valid: 1 problem(s), listed in errors.' : message,
      instance,
      request_id,
      errors: [{ path, message }],
    };
  }
  // A 404 names the record of the route's own collection: /v1/sources/{id} has no source with that id.
  const record = instance.split('/')[2]?.replace(/-/g, ' ').replace(/s$/, '') ?? 'record';
  const [slug, detail, constraint] =
    status === 404
      ? ['not-found', `No ${record} with id 8b2e4f60-1a3c-4d5e-8f70-91a2b3c4d503.`]
      : (EXAMPLE_DETAILS[status] ?? [`http-${status}`, statusTitle(status)]);
  return {
    type: problemType(slug),
    title: statusTitle(status),
    status,
    detail,
    instance,
    request_id,
    ...(constraint ? { constraint } : {}),
  };
}

type ProblemStatus = 400 | 401 | 403 | 404 | 406 | 409 | 412 | 413 | 414 | 415 | 422 | 429 | 431 | 500 | 503;

/** What every route can answer: a bad request, a URL or request head too large, an error, or unavailability. */
const ALWAYS = [400, 414, 431, 500, 503] as const;
type Always = (typeof ALWAYS)[number];

/**
 * Response declarations for the problem statuses a route can answer with; every route can answer 400, 414, 431,
 * 500 and 503 (the database unavailable or too slow, the server overloaded or shutting down).
 */
export function problemResponses<S extends ProblemStatus>(...statuses: S[]) {
  const all = [...new Set<ProblemStatus>([...ALWAYS, ...statuses])].sort((a, b) => a - b);
  return Object.fromEntries(all.map((s) => [s, problemContent(DESCRIPTIONS[s] ?? statusTitle(s))])) as Record<
    S | Always,
    ReturnType<typeof problemContent>
  >;
}

/** Response declarations for a route behind the access policy: it can also answer 401, 403 and 429. */
export function securedProblems<S extends ProblemStatus>(...statuses: S[]) {
  return problemResponses<S | 401 | 403 | 429>(401, 403, 429, ...statuses);
}

/** Problem statuses every route that reads a body can answer with (a DELETE too, when a client sends one). */
export const BODY_PROBLEMS = [413, 415] as const;
