import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

/**
 * `anyOf: [X, {type: null}]`, which zod writes for a nullable X, as X with `null` added to its type, where X has a
 * single type. fast-json-stringify then writes the value directly instead of testing each branch against it.
 */
function simplifyNullable(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(simplifyNullable);
  if (!schema || typeof schema !== 'object') return schema;
  const node = Object.fromEntries(
    Object.entries(schema as JsonSchema).map(([key, value]) => [key, simplifyNullable(value)]),
  ) as JsonSchema;
  const branches = node.anyOf as JsonSchema[] | undefined;
  if (branches?.length === 2) {
    const nullIndex = branches.findIndex((b) => b.type === 'null' && Object.keys(b).length === 1);
    const other = branches[1 - nullIndex];
    if (nullIndex !== -1 && other && typeof other.type === 'string' && !('anyOf' in other)) {
      const { anyOf: _anyOf, ...rest } = node;
      return { ...rest, ...other, type: [other.type, 'null'] };
    }
  }
  return node;
}

/** The JSON Schema of a response as the client receives it, in the dialect fast-json-stringify reads. */
export function responseJsonSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-7',
    io: 'output',
    unrepresentable: 'any',
    reused: 'inline',
    cycles: 'throw',
  }) as JsonSchema;
  return simplifyNullable(json) as JsonSchema;
}

/**
 * Serialises responses with fast-json-stringify compiled from each route's zod response schema: it writes the
 * documented fields only, in a fraction of the time zod takes to re-check a whole page. Under test the zod check
 * runs as well, first, so any response that does not match its schema fails the suite instead of being coerced.
 */
export function createSerializerCompiler(options: { verify: boolean }): FastifySerializerCompiler<z.ZodType> {
  // Most routes answer their problems with one schema: each schema is compiled once, and only when a response
  // first needs it, so that the server starts in a fraction of the time compiling them all would take.
  const compiled = new WeakMap<z.ZodType, (data: unknown) => string>();
  const writerOf = (schema: z.ZodType) => {
    let write = compiled.get(schema);
    if (!write) {
      write = fastJson(responseJsonSchema(schema) as unknown as Parameters<typeof fastJson>[0]);
      compiled.set(schema, write);
    }
    return write;
  };
  return (route) => {
    const schema = route.schema as z.ZodType;
    if (schema instanceof z.ZodUndefined) return () => '';
    let writer: ((data: unknown) => string) | undefined;
    const write = (data: unknown) => (writer ??= writerOf(schema))(data);
    if (!options.verify) return write;
    const check = zodSerializerCompiler(route as never) as (data: unknown) => string;
    return (data: unknown) => {
      check(data);
      return write(data);
    };
  };
}
