import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemExample } from './problems';
import type { Access } from './access';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const { version } = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
  version: string;
};

export const OPENAPI_INFO = {
  title: 'Corroborate API',
  version,
  summary:
    'A verified-incident database: incidents, the sources that report them, and the claims each source makes.',
  description: [
    'Every claim is kept with its provenance; each incident’s status and casualty range are derived from its',
    'accepted claims. Errors are RFC 9457 problem details (`application/problem+json`). Lists use keyset',
    'pagination: pass `next_cursor` back as `cursor`, or follow the `Link: rel="next"` header. A query parameter',
    'or body field an operation does not take is refused with 400, naming it.',
  ].join(' '),
  license: { name: 'AGPL-3.0-or-later', identifier: 'AGPL-3.0-or-later' },
};

/** Generates the OpenAPI 3.1 document from the route schemas, serves it and the interactive docs. */
export async function registerOpenApi(app: FastifyInstance) {
  const examples = new Map<string, OperationExamples>();
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      servers: [{ url: '/', description: 'This server' }],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key: `Authorization: Bearer cbk_…`. Roles: reader < contributor < verifier < admin.',
          },
        },
      },
      tags: [
        { name: 'incidents', description: 'What happened: the unit of record' },
        { name: 'sources', description: 'Who speaks' },
        { name: 'claims', description: 'What one source says about one incident' },
        { name: 'changes', description: 'The change feed, for mirroring' },
        { name: 'exports', description: 'Whole result sets, streamed' },
        { name: 'imports', description: 'Incidents from files: ACLED, UCDP GED, or this API’s own exports' },
        { name: 'stats', description: 'Aggregates' },
        { name: 'api-keys', description: 'Keys and roles (admin)' },
        { name: 'operations', description: 'Health and readiness' },
      ],
    },
    transform: (input) => {
      collectExamples(input, examples);
      return documentAccess(input, documentResponseHeaders(input, jsonSchemaTransform(input)));
    },
    transformObject: (input) =>
      placeExamples(
        pruneUnusedComponents(jsonSchemaTransformObject(input) as OpenApiDocument),
        examples,
      ) as ReturnType<typeof jsonSchemaTransformObject>,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () =>
    app.swagger(),
  );
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Response headers to document, per status. */
    responseHeaders?: Record<number, (keyof typeof RESPONSE_HEADERS)[]>;
  }
}

// Plain JSON schemas with a description; @fastify/swagger turns each into an OpenAPI header object.
const RESPONSE_HEADERS = {
  ETag: {
    type: 'string',
    description: 'The record’s version as a strong entity tag, for If-Match and If-None-Match',
  },
  Location: { type: 'string', description: 'The URL of the created record' },
  Link: {
    type: 'string',
    description:
      'The next page as `<url>; rel="next"` (absent on the last page), and the first as `<url>; rel="first"`',
  },
  'X-Total-Count': {
    type: 'string',
    description: 'With count=true: how many records the filters select (also `total` in JSON)',
  },
  'Idempotent-Replayed': {
    type: 'string',
    description:
      '`true` when this is the stored response of an earlier request with the same Idempotency-Key',
  },
} as const;

type Transformed = ReturnType<typeof jsonSchemaTransform>;

const ROLE_OF: Record<Exclude<Access, 'public' | 'read'>, string> = {
  contribute: 'contributor',
  verify: 'verifier',
  admin: 'admin',
};

/** States each operation's access policy: its security requirement and, in words, the least role it needs. */
function documentAccess(input: Parameters<typeof jsonSchemaTransform>[0], output: Transformed): Transformed {
  const access = (input.route.config as { access?: Access } | undefined)?.access;
  const schema = output.schema as { security?: unknown; description?: string };
  if (access === undefined || access === 'public') {
    schema.security = [];
    return output;
  }
  const rule =
    access === 'read'
      ? 'Needs the reader role, or none where anonymous reading is enabled (the default).'
      : `Needs an API key with the ${ROLE_OF[access]} role.`;
  schema.security = access === 'read' ? [{ apiKey: [] }, {}] : [{ apiKey: [] }];
  schema.description = schema.description ? `${schema.description} ${rule}` : rule;
  return output;
}

/** Adds the response headers a route declares in `config.responseHeaders` to its OpenAPI responses. */
function documentResponseHeaders(
  input: Parameters<typeof jsonSchemaTransform>[0],
  output: Transformed,
): Transformed {
  const declared = (
    input.route.config as { responseHeaders?: Record<number, (keyof typeof RESPONSE_HEADERS)[]> }
  )?.responseHeaders;
  const responses = (output.schema as { response?: Record<string, Record<string, unknown>> }).response;
  if (!declared || !responses) return output;
  for (const [status, names] of Object.entries(declared)) {
    const response = responses[status];
    if (response) response.headers = Object.fromEntries(names.map((n) => [n, RESPONSE_HEADERS[n]]));
  }
  return output;
}

type ZodContent = Record<string, { schema?: unknown }>;

/** The example bodies of one operation: its request body's, and per response status, per media type. */
interface OperationExamples {
  /** One per media type the body may have, in the order the route lists them (`consumes`). */
  body?: unknown[];
  responses: Record<string, Record<string, unknown>>;
}

const examplesOf = (schema: unknown): unknown[] | undefined =>
  schema instanceof z.ZodType ? (z.globalRegistry.get(schema)?.examples as unknown[] | undefined) : undefined;

/**
 * The examples of a route's bodies: the example of each schema (set with `.meta({ examples })`), and for problems
 * one of the problem's own status. They are put on the media types by `placeExamples`, where the docs UI shows them.
 */
function collectExamples(
  input: Parameters<typeof jsonSchemaTransform>[0],
  into: Map<string, OperationExamples>,
) {
  const given = input.schema as {
    operationId?: string;
    body?: unknown;
    response?: Record<string, { content?: ZodContent }>;
  };
  if (!given?.operationId) return;
  const instance = input.url
    .replace(/:id\b/g, '8b2e4f60-1a3c-4d5e-8f70-91a2b3c4d503')
    .replace(/:(\w+)/g, '$1');
  const found: OperationExamples = { body: examplesOf(given.body), responses: {} };
  for (const [status, response] of Object.entries(given.response ?? {})) {
    for (const [mediaType, media] of Object.entries(response?.content ?? {})) {
      const example =
        mediaType === 'application/problem+json'
          ? problemExample(Number(status), instance, given.body !== undefined)
          : examplesOf(media.schema)?.[0];
      if (example !== undefined) (found.responses[status] ??= {})[mediaType] = example;
    }
  }
  into.set(given.operationId, found);
}

type MediaObject = { schema?: unknown; example?: unknown };
type OperationObject = {
  operationId?: string;
  requestBody?: { content?: Record<string, MediaObject> };
  responses?: Record<string, { content?: Record<string, MediaObject> }>;
};

/** Puts the collected examples on the document's media types. */
export function placeExamples<T extends object>(document: T, examples: Map<string, OperationExamples>): T {
  const { paths } = document as { paths?: unknown };
  for (const item of Object.values((paths ?? {}) as Record<string, Record<string, OperationObject>>)) {
    for (const operation of Object.values(item)) {
      const found = operation.operationId ? examples.get(operation.operationId) : undefined;
      if (!found) continue;
      Object.values(operation.requestBody?.content ?? {}).forEach((media, index) => {
        const example = found.body?.[index] ?? found.body?.[0];
        if (example !== undefined) media.example = example;
      });
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        for (const [mediaType, media] of Object.entries(response.content ?? {})) {
          const example = found.responses[status]?.[mediaType];
          if (example !== undefined) media.example = example;
        }
      }
    }
  }
  return document;
}

type OpenApiDocument = { components?: { schemas?: Record<string, unknown> } } & Record<string, unknown>;

/**
 * The zod transform emits an input and an output variant of every named schema; keep only the components
 * that some operation reaches, so generated clients get no dead types.
 */
export function pruneUnusedComponents<T extends OpenApiDocument>(document: T): T {
  const schemas = document.components?.schemas;
  if (!schemas) return document;
  const reached = new Set<string>();
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) {
        const name = value.slice('#/components/schemas/'.length);
        if (!reached.has(name)) {
          reached.add(name);
          visit(schemas[name]);
        }
      } else visit(value);
    }
  };
  visit({ ...document, components: { ...document.components, schemas: {} } });
  document.components!.schemas = Object.fromEntries(
    Object.entries(schemas).filter(([name]) => reached.has(name)),
  );
  return document;
}
