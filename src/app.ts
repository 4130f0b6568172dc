import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyServerOptions } from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { createSerializerCompiler } from './http/serializer';
import type { Config } from './config';
import type { Database } from './db/client';
import { registerErrorHandling, sendProblem, toProblem } from './http/error-handler';
import { registerOpenApi } from './http/openapi';
import { problemType, statusTitle } from './http/problems';
import { registerIdempotency } from './http/idempotency';
import { registerStrictQueries } from './http/strict-query';
import { claimRoutes } from './modules/claims/claim-routes';
import { exportRoutes } from './modules/exports/export-routes';
import { changeFeedRoutes } from './modules/history/history-routes';
import { statsRoutes } from './modules/stats/stats-routes';
import { healthRoutes } from './modules/health/health-routes';
import { homeRoutes } from './modules/home/home-routes';
import { importRoutes } from './modules/imports/import-routes';
import { incidentRoutes } from './modules/incidents/incident-routes';
import { sourceRoutes } from './modules/sources/source-routes';
import { createServices } from './services';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import { registerAccess, registerAuthFailures, type Access } from './http/access';
import { redactorFor, type Redaction } from './http/redaction';
import { apiKeyRoutes } from './modules/api-keys/api-key-routes';

export interface AppOptions {
  /** The settings, as `loadConfig` parsed them. */
  config: Config;
  database: Database;
  /** Overrides the logger (tests pass false). */
  logger?: FastifyServerOptions['logger'];
  /** Checks every response against its zod schema before it is sent (tests turn it on). */
  verifyResponses?: boolean;
}

export interface RouteEntry {
  method: string;
  url: string;
  access: Access | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, with its declared access (for the authorization matrix test). */
    routeCatalog: RouteEntry[];
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
      censor: '[redacted]',
    },
    ...(process.stdout.isTTY
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } }
      : {}),
  };
}

/** The answer to a request Node could not parse: a problem, with a request id like every other answer. */
function writeClientErrorProblem(err: Error & { code?: string }, socket: Socket) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, slug, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'request-head-too-large', 'The request line and headers together exceed 16 KiB.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request-timeout', 'The request did not arrive in time.']
        : [400, 'bad-request', 'The request is not valid HTTP.'];
  const requestId = randomUUID();
  const body = JSON.stringify({
    type: problemType(slug),
    title: statusTitle(status),
    status,
    detail,
    request_id: requestId,
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${statusTitle(status)}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** Builds the whole API as a Fastify instance; it neither listens nor migrates, so tests can build many. */
export async function buildApp({ config, database, logger, verifyResponses = false }: AppOptions) {
  const app = Fastify({
    logger: logger ?? loggerOptions(config.LOG_LEVEL),
    bodyLimit: config.BODY_LIMIT,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    // Closing is answered below as problem+json instead of Fastify's own body.
    return503OnClosing: false,
    trustProxy: config.TRUST_PROXY,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Node refuses a request it cannot parse (or whose head is over 16 KiB) before Fastify sees it: answer that
    // as a problem too, written on the socket directly.
    clientErrorHandler: writeClientErrorProblem,
    // The router refuses some URLs before any hook runs; answer those as problems too.
    frameworkErrors: (err, request, reply) => {
      reply.header('x-request-id', request.id);
      const problem =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? {
              type: problemType('uri-too-long'),
              title: statusTitle(414),
              status: 414,
              detail: 'A path segment is longer than 200 characters.',
            }
          : toProblem(err, String(request.id));
      return sendProblem(reply, request, problem);
    },
  }).withTypeProvider<ZodTypeProvider>();

  // Every route is catalogued with its declared access; the docs UI's own routes are public.
  const routes: RouteEntry[] = [];
  app.decorate('routeCatalog', routes);
  app.addHook('onRoute', (route) => {
    // The docs UI and the CORS preflight answer carry no data.
    if (route.url.startsWith('/docs') || (route.method === 'OPTIONS' && route.url === '*')) {
      route.config = { ...route.config, access: route.config?.access ?? 'public' };
    }
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url, access: route.config?.access });
    }
  });

  registerStrictQueries(app);
  app.setValidatorCompiler(validatorCompiler);
  // Under test every response is also checked against its zod schema (see createSerializerCompiler).
  app.setSerializerCompiler(createSerializerCompiler({ verify: verifyResponses }));
  registerErrorHandling(app);

  // Only JSON bodies: text/plain is refused with 415 rather than parsed into a string.
  app.removeContentTypeParser('text/plain');
  // JSON as Fastify parses it (prototype poisoning refused), except that an empty body is no body: a DELETE sent
  // with a JSON content type and nothing else is a plain DELETE, and a POST without a body is told what it lacks.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const jsonOrNothing: typeof parseJson = (request, body, done) =>
    body === '' ? done(null, undefined) : parseJson(request, body, done);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['application/json', 'application/merge-patch+json'],
    { parseAs: 'string' },
    jsonOrNothing,
  );

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // What a response holds depends on the caller's role (protected sources) and on Accept (formats).
    reply.header('vary', 'Authorization, Accept');
    if (closing) {
      reply.header('connection', 'close');
      return sendProblem(reply, request, {
        type: problemType('unavailable'),
        title: statusTitle(503),
        status: 503,
        detail: 'The server is shutting down; retry shortly.',
      });
    }
    // OPTIONS is answered as a CORS preflight (below), which names an origin and a method.
    if (
      request.method === 'OPTIONS' &&
      (!request.headers.origin || !request.headers['access-control-request-method'])
    ) {
      return sendProblem(reply, request, {
        type: problemType('invalid-preflight'),
        title: statusTitle(400),
        status: 400,
        detail: 'OPTIONS is answered as a CORS preflight: send Origin and Access-Control-Request-Method.',
      });
    }
  });

  // Security headers on every response; the docs page keeps a policy its own scripts and styles satisfy.
  await app.register(helmet, { global: true });
  // Browsers may call the API only from the listed origins (none by default); scripts are not affected.
  await app.register(cors, {
    origin: config.CORS_ORIGINS.includes('*') ? '*' : config.CORS_ORIGINS.map((o) => new URL(o).origin),
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'If-Match',
      'If-None-Match',
      'Idempotency-Key',
      'X-Request-Id',
    ],
    exposedHeaders: [
      'ETag',
      'Location',
      'Link',
      'Retry-After',
      'X-Request-Id',
      'Idempotent-Replayed',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'X-Total-Count',
    ],
    maxAge: 600,
  });

  // An overloaded process sheds requests with 503 until its event loop catches up; liveness still answers, so
  // that a busy process is not mistaken for a dead one and restarted. The embedded database runs its queries on
  // the event loop, where the delay measures queries rather than overload: there, nothing is shed.
  await app.register(underPressure, {
    maxEventLoopDelay: database.driver === 'postgres' ? config.MAX_EVENT_LOOP_DELAY_MS : 0,
    pressureHandler: async (request, reply) => {
      if (request.routeOptions.url === '/healthz') return;
      await sendProblem(reply, request, {
        type: problemType('unavailable'),
        title: statusTitle(503),
        status: 503,
        detail: 'The server is overloaded; retry shortly.',
      });
    },
  });

  await registerOpenApi(app);

  const services = createServices(database.db);
  registerAccess(app, services.apiKeys.lookup(), { anonymousRead: config.ANONYMOUS_READ });
  await app.register(rateLimit, {
    global: true,
    keyGenerator: (request) => request.caller?.keyId ?? `ip:${request.ip}`,
    max: (request) =>
      request.caller?.keyId ? config.RATE_LIMIT_PER_MINUTE : config.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
    timeWindow: 60_000,
    allowList: (request) => request.routeOptions.config.access === 'public',
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      message: `Rate limit of ${context.max} requests a minute reached; retry in ${context.after}.`,
    }),
  });

  registerAuthFailures(app);

  await app.register(homeRoutes);
  await app.register(healthRoutes, { database });
  // The API proper; each feature names its routes' URLs under /v1.
  await app.register(async (v1) => {
    registerIdempotency(v1, database.db);
    const { history } = services;
    const redaction: Redaction = (request, of) => redactorFor(request, database.db, of);
    await v1.register(sourceRoutes, { service: services.sources, history, redaction });
    await v1.register(incidentRoutes, { service: services.incidents, history, redaction });
    await v1.register(claimRoutes, {
      service: services.claims,
      incidents: services.incidents,
      history,
      redaction,
    });
    await v1.register(changeFeedRoutes, { history, redaction });
    await v1.register(exportRoutes, { ...services, redaction, database });
    await v1.register(statsRoutes, { db: database.db });
    await v1.register(apiKeyRoutes, { service: services.apiKeys });
    await v1.register(importRoutes, { service: services.imports, bodyLimit: config.IMPORT_BODY_LIMIT });
  });

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
