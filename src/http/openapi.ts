import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
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
    'pagination: pass `next_cursor` back as `cursor`, or follow the `Link: rel="next"` header.',
  ].join(' '),
  license: { name: 'AGPL-3.0-or-later', identifier: 'AGPL-3.0-or-later' },
};

/** Generates the OpenAPI 3.1 document from the route schemas, serves it and the interactive docs. */
export async function registerOpenApi(app: FastifyInstance) {
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
    transform: (input) => documentAccess(input, documentResponseHeaders(input, jsonSchemaTransform(input))),
    transformObject: (input) =>
      pruneUnusedComponents(jsonSchemaTransformObject(input) as OpenApiDocument) as ReturnType<
        typeof jsonSchemaTransformObject
      >,
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
  Link: { type: 'string', description: 'The next page, as `<url>; rel="next"`; absent on the last page' },
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
