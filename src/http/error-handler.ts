import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { databaseFailure } from '../db/client';
import { CONSTRAINT_RULES, findPgError } from '../db/constraints';
import { AppError, type FieldError } from '../core/errors';
import { problemType, statusTitle, STATUS_OF, type Problem } from './problems';
import { unknownQueryParameter } from './strict-query';

const LOCATIONS: Record<string, string> = {
  querystring: 'query',
  params: 'path',
  headers: 'header',
  body: 'body',
};

function validationProblem(err: FastifyError, queryParameters: readonly string[] | undefined): Problem {
  const location = LOCATIONS[err.validationContext ?? 'body'] ?? 'body';
  const unknownKeys: string[] = [];
  const errors: FieldError[] = (err.validation ?? []).flatMap((v) => {
    const pointer = v.instancePath
      .split('/')
      .filter(Boolean)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    // zod reports unknown keys on the parent object; name each key itself.
    const keys = (v.params as { keys?: unknown } | undefined)?.keys;
    if (v.keyword === 'unrecognized_keys' && Array.isArray(keys) && keys.length) {
      return keys.map((key) => {
        const name = String(key);
        const topLevelQuery = location === 'query' && pointer.length === 0;
        if (topLevelQuery) unknownKeys.push(name);
        return {
          path: [location, ...pointer, name].join('.'),
          message: topLevelQuery
            ? unknownQueryParameter(name, queryParameters)
            : `Unrecognized key: "${name}"`,
        };
      });
    }
    return [{ path: [location, ...pointer].join('.'), message: v.message ?? 'invalid' }];
  });
  // Unknown parameters alone: the detail says which, so that a client printing only the detail learns it.
  const detail =
    unknownKeys.length > 0 && unknownKeys.length === errors.length
      ? errors.map((e) => e.message).join(' ')
      : `The request ${location === 'body' ? 'body' : location} is not valid: ${errors.length} problem(s), listed in errors.`;
  return { type: problemType('validation'), title: 'Invalid request', status: 400, detail, errors };
}

/** Maps any thrown error to the problem the client sees; 5xx never carries internal detail. */
export function toProblem(err: unknown, requestId: string, queryParameters?: readonly string[]): Problem {
  if (err instanceof AppError) {
    const status = STATUS_OF[err.kind];
    return {
      type: problemType(err.slug),
      title: err.details.title ?? statusTitle(status),
      status,
      detail: err.message,
      ...(err.details.constraint ? { constraint: err.details.constraint } : {}),
      ...(err.details.errors ? { errors: err.details.errors } : {}),
    };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    return validationProblem(err as FastifyError, queryParameters);
  }

  const pgError = findPgError(err);
  if (pgError) {
    const rule = pgError.constraint ? CONSTRAINT_RULES[pgError.constraint] : undefined;
    if (rule) {
      return {
        type: problemType(rule.status === 409 ? 'conflict' : 'unprocessable'),
        title: statusTitle(rule.status),
        status: rule.status,
        detail: rule.detail,
        constraint: pgError.constraint,
        ...(rule.path ? { errors: [{ path: rule.path, message: rule.detail }] } : {}),
      };
    }
    // Data exceptions (class 22): a value the database cannot hold, e.g. out of range.
    if (pgError.code.startsWith('22')) {
      return {
        type: problemType('validation'),
        title: 'Invalid request',
        status: 400,
        detail: 'A value in the request cannot be stored (out of range or malformed).',
      };
    }
  }

  const statusCode = (err as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const message = err instanceof Error ? err.message : statusTitle(statusCode);
    return {
      type: problemType(slugForStatus(statusCode)),
      title: statusTitle(statusCode),
      status: statusCode,
      detail: message.replace(/^FST_\w+:\s*/, ''),
    };
  }
  // Checked after client errors: a request body cut off by the client fails with a socket code too.
  const failure = databaseFailure(err);
  if (failure) {
    return {
      type: problemType('unavailable'),
      title: statusTitle(503),
      status: 503,
      detail:
        failure === 'timeout'
          ? 'The request took longer than the database allows; retry later.'
          : 'The database is not reachable right now; retry later.',
    };
  }
  return {
    type: problemType('internal'),
    title: statusTitle(500),
    status: 500,
    detail: `An unexpected error occurred. It has been logged with request id ${requestId}.`,
  };
}

function slugForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'bad-request';
    case 404:
      return 'not-found';
    case 413:
      return 'body-too-large';
    case 415:
      return 'unsupported-media-type';
    default:
      return `http-${status}`;
  }
}

/** Seconds a client is asked to wait before retrying a 503 (the database, shutdown or overload). */
const RETRY_AFTER_SECONDS = 5;

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: Problem) {
  if (problem.status === 503) reply.header('retry-after', RETRY_AFTER_SECONDS);
  return reply
    .status(problem.status)
    .type('application/problem+json')
    .send({ ...problem, instance: request.url.split('?')[0], request_id: String(request.id) });
}

export function registerErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err, String(request.id), request.routeOptions.config.queryParameters);
    if (problem.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ status: problem.status, detail: problem.detail }, 'request rejected');
    return sendProblem(reply, request, problem);
  });
  const allowedMethods = routeMethods(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = allowedMethods(path);
    if (allowed.length) {
      // The path exists, with other methods (RFC 9110 §15.5.6): 405 names them in Allow.
      reply.header('allow', allowed.join(', '));
      return sendProblem(reply, request, {
        type: problemType('method-not-allowed'),
        title: statusTitle(405),
        status: 405,
        detail: `${path} does not answer ${request.method}; it answers ${allowed.join(', ')}.`,
      });
    }
    return sendProblem(reply, request, {
      type: problemType('not-found'),
      title: statusTitle(404),
      status: 404,
      detail: `No route ${request.method} ${path}.`,
    });
  });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Collects the routes as they are registered, and answers which methods a concrete path has (none when no route
 * has that path), matching as the router does (its `ignoreTrailingSlash` is on). The CORS preflight's catch-all (`OPTIONS *`) is left out: it would make every path exist.
 */
function routeMethods(app: FastifyInstance): (path: string) => string[] {
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', (route) => {
    if (route.url === '*') return;
    const segments = route.url
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : escapeRegExp(segment)));
    routes.push({ pattern: new RegExp(`^${segments.join('/')}$`), methods: [route.method].flat() });
  });
  return (rawPath) => {
    // The path as the router matches it: one trailing slash ignored, percent-escapes decoded (but %2F).
    let path = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
    try {
      path = decodeURI(path);
    } catch {
      return [];
    }
    const methods = new Set<string>();
    for (const route of routes) if (route.pattern.test(path)) route.methods.forEach((m) => methods.add(m));
    return [...methods].sort();
  };
}
