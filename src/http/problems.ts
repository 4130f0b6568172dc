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
  .meta({ id: 'Problem' });

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
