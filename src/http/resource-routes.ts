import type { FastifyRequest, RouteOptions } from 'fastify';
import { z } from 'zod';
import type { ResourceType } from '../core/journal';
import type { Page } from '../core/paging';
import type { WriteOptions } from '../core/write';
import { seesProtected, type Viewer } from './access';
import { idParams, queryList, timestampInput } from './fields';
import type { Redaction } from './redaction';
import { idempotencyKeyHeader } from './idempotency';
import {
  chooseFormat,
  exampleOf,
  formatExamples,
  withExample,
  FORMATS,
  pickFields,
  sendFormattedPage,
  type Format,
  type Representations,
} from './formats';
import { featureCollectionSchema } from './geojson';
import { sendPage } from './pagination';
import { BODY_PROBLEMS, securedProblems } from './problems';
import { clientHasVersion, etagOf, ifMatchOf, writeContext } from './request-context';
import { jsonResponse } from './responses';

type FormatQuery = { format?: Format; fields?: string[]; hxl?: boolean; csv_raw?: boolean };

/** What a resource's service offers the standard collection routes. */
export interface CrudService<Item, Create, Patch, Query> {
  list(query: Query & Viewer): Promise<Page<Item>>;
  create(input: Create, options: WriteOptions): Promise<Item>;
  get(id: string): Promise<Item>;
  update(id: string, patch: Patch, options: WriteOptions): Promise<Item>;
  remove(id: string, options: WriteOptions): Promise<void>;
}

export interface CrudSpec<
  I extends z.ZodObject,
  C extends z.ZodType,
  P extends z.ZodType,
  Q extends z.ZodType,
  L extends z.ZodType,
> {
  /** The tag the operations are grouped under, e.g. `sources`. */
  tag: string;
  resourceType: ResourceType;
  /** The URL of a record, for Location. */
  locationOf: (id: string) => string;
  /** Singular and plural names for operation ids and summaries, e.g. Source / Sources. */
  singular: string;
  plural: string;
  schemas: { item: I; create: C; patch: P; listQuery: Q; page: L };
  service: CrudService<z.output<I>, z.output<C>, z.output<P>, z.output<Q>>;
  /** The record as it stood at a moment, from its history. */
  asOf: (id: string, at: Date) => Promise<z.output<I>>;
  /** The redactor of protected sources for a request's viewer (undefined: sees everything). */
  redaction: Redaction;
  /** Field-level rules beyond the route's access, e.g. only verifiers review claims; throws 401/403. */
  authorizeWrite?: (request: FastifyRequest, body: unknown, method: 'POST' | 'PATCH') => void;
  /** CSV columns and, for located records, GeoJSON features. */
  representations: Representations<z.output<I>>;
  descriptions: { list: string; create: string; update: string; remove: string };
}

export const ifMatchHeaders = z.looseObject({
  'if-match': z
    .string()
    .max(1000)
    .optional()
    .describe('Apply only if the record is still at this version (its ETag); 412 otherwise'),
});

const readQueryBase = z.object({
  as_of: timestampInput
    .optional()
    .describe('Answer with the record as it stood at this time (RFC 3339), from its history'),
});

const readHeaders = z.looseObject({
  'if-none-match': z
    .string()
    .max(1000)
    .optional()
    .describe('An ETag the client holds; 304 when still current'),
});

/** A route's definition but for its method and URL, which the feature's routes file names. */
export type RouteDefinition = Omit<RouteOptions, 'method' | 'url'>;

export type ResourceRoutes = Record<'list' | 'create' | 'read' | 'update' | 'remove', RouteDefinition>;

/**
 * The definitions of list, create, read, partial update and soft delete for one resource, described alike. Each
 * feature registers them under its own URLs (`app.route({ method: 'GET', url: '/v1/sources', ...routes.list })`).
 */
export function resourceRoutes<
  I extends z.ZodObject,
  C extends z.ZodType,
  P extends z.ZodType,
  Q extends z.ZodType,
  L extends z.ZodType,
>(spec: CrudSpec<I, C, P, Q, L>): ResourceRoutes {
  // Handlers here are generic over the resource, so the request parts are cast to the schemas' output types.
  const { resourceType, singular, plural, schemas, service, descriptions, representations } = spec;
  const redactionFor = (request: FastifyRequest) => spec.redaction(request, resourceType);
  const lower = singular.toLowerCase();
  const a = /^[aeiou]/.test(lower) ? `an ${lower}` : `a ${lower}`;
  const formats = representations.feature ? FORMATS : FORMATS.filter((f) => f !== 'geojson');
  const fieldNames = Object.keys(schemas.item.shape) as [string, ...string[]];
  const readQuery = readQueryBase.extend({
    fields: queryList(z.enum(fieldNames))
      .optional()
      .describe('Only these fields, comma-separated (id is always included)'),
  });
  const examples = formatExamples(representations, exampleOf<z.output<I>>(schemas.item));
  const listContent = {
    description: `A page of ${plural.toLowerCase()}`,
    content: {
      'application/json': { schema: schemas.page },
      'application/x-ndjson': {
        schema: withExample(
          z.string().describe(`One ${lower} per line; the next page is in Link`),
          examples.ndjson,
        ),
      },
      'text/csv': {
        schema: withExample(
          z.string().describe('A header row (and an HXL row with hxl=true), then one row per record'),
          examples.csv,
        ),
      },
      ...(representations.feature
        ? {
            'application/geo+json': {
              schema: withExample(featureCollectionSchema(schemas.item), examples.geojson),
            },
          }
        : {}),
    },
  };
  const tags = [spec.tag];

  const list: RouteDefinition = {
    schema: {
      operationId: `list${plural}`,
      tags,
      summary: `List ${plural.toLowerCase()}`,
      description: descriptions.list,
      querystring: schemas.listQuery,
      response: { 200: listContent, ...securedProblems(406) },
    },
    config: { access: 'read', responseHeaders: { 200: ['Link', 'X-Total-Count'] } },
    handler: async (request, reply) => {
      const query = request.query as z.output<Q> & FormatQuery;
      const format = chooseFormat(request, formats, query.format);
      const redactor = await redactionFor(request);
      const result = await service.list({ ...query, seesProtected: seesProtected(request) });
      const data = redactor ? result.data.map((d) => redactor.record(resourceType, d)) : result.data;
      const page = sendPage(request, reply, { ...result, data });
      return sendFormattedPage(reply, format, representations, page, {
        fields: query.fields,
        hxl: query.hxl,
        csvRaw: query.csv_raw,
      });
    },
  };

  const create: RouteDefinition = {
    config: {
      access: 'contribute',
      idempotent: true,
      responseHeaders: { 201: ['ETag', 'Location', 'Idempotent-Replayed'] },
    },
    schema: {
      operationId: `create${singular}`,
      tags,
      summary: `Create ${a}`,
      description: `${descriptions.create} A retry with the same Idempotency-Key returns the first response.`,
      headers: idempotencyKeyHeader,
      body: schemas.create,
      response: {
        201: jsonResponse(schemas.item, `The ${lower} as stored; Location gives its URL`),
        ...securedProblems(409, 422, ...BODY_PROBLEMS),
      },
    },
    handler: async (request, reply) => {
      spec.authorizeWrite?.(request, request.body, 'POST');
      const location = (item: unknown) => spec.locationOf((item as { id: string }).id);
      const item = (await service.create(request.body as z.output<C>, {
        context: writeContext(request, { status: 201, location }),
      })) as { id: string; version: number };
      return reply
        .status(201)
        .header('location', location(item))
        .header('etag', etagOf(item.version))
        .send(item);
    },
  };

  const read: RouteDefinition = {
    config: { access: 'read', responseHeaders: { 200: ['ETag'], 304: ['ETag'] } },
    schema: {
      operationId: `get${singular}`,
      tags,
      summary: `Read ${a}`,
      params: idParams,
      querystring: readQuery,
      headers: readHeaders,
      response: {
        200: jsonResponse(schemas.item, `The ${lower}`),
        304: z.undefined().describe('The client’s copy (If-None-Match) is current'),
        ...securedProblems(404),
      },
    },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      const { as_of: asOf, fields } = request.query as z.output<typeof readQuery>;
      const found = (asOf ? await spec.asOf(id, new Date(asOf)) : await service.get(id)) as {
        version: number;
      };
      const redactor = await redactionFor(request);
      const item = redactor ? redactor.record(resourceType, found) : found;
      reply.header('etag', etagOf(item.version));
      if (clientHasVersion(request, item.version)) return reply.status(304).send();
      // A sparse record is not the documented whole, so it bypasses the response schema.
      if (fields?.length) {
        return reply
          .type('application/json; charset=utf-8')
          .serializer(JSON.stringify)
          .send(pickFields(item, fields));
      }
      return item;
    },
  };

  const update: RouteDefinition = {
    config: { access: 'contribute', responseHeaders: { 200: ['ETag'] } },
    schema: {
      operationId: `update${singular}`,
      consumes: ['application/json', 'application/merge-patch+json'],
      tags,
      summary: `Change ${a}`,
      description: `${descriptions.update} Send If-Match with the ETag you read to be sure nobody changed it meanwhile.`,
      params: idParams,
      headers: ifMatchHeaders,
      body: schemas.patch,
      response: {
        200: jsonResponse(schemas.item, `The ${lower} as changed`),
        ...securedProblems(404, 409, 412, 422, ...BODY_PROBLEMS),
      },
    },
    handler: async (request, reply) => {
      spec.authorizeWrite?.(request, request.body, 'PATCH');
      const item = (await service.update((request.params as { id: string }).id, request.body as z.output<P>, {
        context: writeContext(request),
        ifMatch: ifMatchOf(request),
      })) as { version: number };
      return reply.header('etag', etagOf(item.version)).send(item);
    },
  };

  const remove: RouteDefinition = {
    config: { access: 'contribute' },
    schema: {
      operationId: `delete${singular}`,
      tags,
      summary: `Delete ${a}`,
      description: descriptions.remove,
      params: idParams,
      headers: ifMatchHeaders,
      response: {
        204: z.undefined().describe('Deleted'),
        ...securedProblems(404, 409, 412, ...BODY_PROBLEMS),
      },
    },
    handler: async (request, reply) => {
      await service.remove((request.params as { id: string }).id, {
        context: writeContext(request),
        ifMatch: ifMatchOf(request),
      });
      return reply.status(204).send();
    },
  };

  return { list, create, read, update, remove };
}
