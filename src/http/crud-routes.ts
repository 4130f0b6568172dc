import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParams } from './fields';
import { sendPage, type Page } from './pagination';
import { BODY_PROBLEMS, problemResponses } from './problems';
import { jsonResponse } from './responses';

/** What a resource's service offers the standard collection routes. */
export interface CrudService<Item, Create, Patch, Query> {
  list(query: Query): Promise<Page<Item>>;
  create(input: Create): Promise<Item>;
  get(id: string): Promise<Item>;
  update(id: string, patch: Patch): Promise<Item>;
  remove(id: string): Promise<void>;
}

export interface CrudSpec<
  I extends z.ZodType,
  C extends z.ZodType,
  P extends z.ZodType,
  Q extends z.ZodType,
  L extends z.ZodType,
> {
  /** Path segment, e.g. `sources`. */
  collection: string;
  /** Singular and plural names for operation ids and summaries, e.g. Source / Sources. */
  singular: string;
  plural: string;
  schemas: { item: I; create: C; patch: P; listQuery: Q; page: L };
  service: CrudService<z.output<I>, z.output<C>, z.output<P>, z.output<Q>>;
  descriptions: { list: string; create: string; update: string; remove: string };
}

/** Registers list, create, read, partial update and soft delete for one resource, all described the same way. */
export function registerCrudRoutes<
  I extends z.ZodType,
  C extends z.ZodType,
  P extends z.ZodType,
  Q extends z.ZodType,
  L extends z.ZodType,
>(parent: FastifyInstance, spec: CrudSpec<I, C, P, Q, L>) {
  // Handlers here are generic over the resource, so the request parts are cast to the schemas' output types.
  const app = parent;
  const { collection, singular, plural, schemas, service, descriptions } = spec;
  const tags = [collection];
  const lower = singular.toLowerCase();

  app.route({
    method: 'GET',
    url: `/${collection}`,
    schema: {
      operationId: `list${plural}`,
      tags,
      summary: `List ${plural.toLowerCase()}`,
      description: descriptions.list,
      querystring: schemas.listQuery,
      response: {
        200: jsonResponse(schemas.page, `A page of ${plural.toLowerCase()}`),
        ...problemResponses(),
      },
    },
    handler: async (request, reply) =>
      sendPage(request, reply, await service.list(request.query as z.output<Q>)),
  });

  app.route({
    method: 'POST',
    url: `/${collection}`,
    schema: {
      operationId: `create${singular}`,
      tags,
      summary: `Create a ${lower}`,
      description: descriptions.create,
      body: schemas.create,
      response: {
        201: jsonResponse(schemas.item, `The ${lower} as stored; Location gives its URL`),
        ...problemResponses(409, 422, ...BODY_PROBLEMS),
      },
    },
    handler: async (request, reply) => {
      const item = (await service.create(request.body as z.output<C>)) as { id: string };
      return reply.status(201).header('location', `/v1/${collection}/${item.id}`).send(item);
    },
  });

  app.route({
    method: 'GET',
    url: `/${collection}/:id`,
    schema: {
      operationId: `get${singular}`,
      tags,
      summary: `Read a ${lower}`,
      params: idParams,
      response: { 200: jsonResponse(schemas.item, `The ${lower}`), ...problemResponses(404) },
    },
    handler: async (request) => service.get((request.params as { id: string }).id),
  });

  app.route({
    method: 'PATCH',
    url: `/${collection}/:id`,
    schema: {
      operationId: `update${singular}`,
      tags,
      summary: `Change a ${lower}`,
      description: descriptions.update,
      params: idParams,
      body: schemas.patch,
      response: {
        200: jsonResponse(schemas.item, `The ${lower} as changed`),
        ...problemResponses(404, 409, 422, ...BODY_PROBLEMS),
      },
    },
    handler: async (request) =>
      service.update((request.params as { id: string }).id, request.body as z.output<P>),
  });

  app.route({
    method: 'DELETE',
    url: `/${collection}/:id`,
    schema: {
      operationId: `delete${singular}`,
      tags,
      summary: `Delete a ${lower}`,
      description: descriptions.remove,
      params: idParams,
      response: { 204: z.undefined().describe('Deleted'), ...problemResponses(404, 409) },
    },
    handler: async (request, reply) => {
      await service.remove((request.params as { id: string }).id);
      return reply.status(204).send();
    },
  });
}
