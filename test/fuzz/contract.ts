import { readFileSync } from 'node:fs';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** A JSON Schema (2020-12) as the OpenAPI 3.1 document writes it. */
export type Schema = { [keyword: string]: unknown } | boolean;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Schema;
}

interface MediaType {
  schema?: Schema;
}

export interface Operation {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** The path template, e.g. `/v1/incidents/{id}/claims`. */
  path: string;
  operationId: string;
  parameters: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
}

export interface Contract {
  paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>;
  components: { schemas: Record<string, Schema> };
}

const METHODS = ['get', 'post', 'patch', 'put', 'delete'] as const;

export function loadContract(file: string): Contract {
  return JSON.parse(readFileSync(file, 'utf8')) as Contract;
}

/** Every operation of the document, in document order. */
export function operationsOf(contract: Contract): Operation[] {
  return Object.entries(contract.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({
      ...item[method]!,
      parameters: item[method]!.parameters ?? [],
      method,
      path,
    })),
  );
}

const COMPONENT_REF = '#/components/schemas/';

/** Follows `$ref`s into components until a schema with content is reached. */
export function resolve(contract: Contract, schema: Schema): Schema {
  let current = schema;
  for (let hops = 0; typeof current === 'object' && typeof current.$ref === 'string'; hops++) {
    const ref = current.$ref;
    if (!ref.startsWith(COMPONENT_REF) || hops > 20) throw new Error(`cannot resolve ${ref}`);
    const target = contract.components.schemas[ref.slice(COMPONENT_REF.length)];
    if (target === undefined) throw new Error(`dangling ${ref}`);
    current = target;
  }
  return current;
}

/** The media type without parameters, lower-cased: `application/json; charset=utf-8` → `application/json`. */
export const mediaTypeOf = (contentType: string | undefined) =>
  (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/** Whether a media type carries JSON: application/json or any `+json` suffix. */
export const isJsonMediaType = (mediaType: string) =>
  mediaType === 'application/json' || mediaType.endsWith('+json');

/**
 * Validators for bodies under the document's own schemas (answers, the bodies of requests, stored records), with
 * ajv's JSON Schema 2020-12 dialect, the one OpenAPI 3.1 uses; each compiled once, under the key it is asked by.
 */
export function schemaValidators(contract: Contract) {
  const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true, strict: true });
  addFormats(ajv);
  // Components live under `$defs` of one schema document; references into them are rewritten to point there.
  const rewrite = (schema: unknown): Schema =>
    JSON.parse(JSON.stringify(schema).replaceAll(`"${COMPONENT_REF}`, '"contract#/$defs/')) as Schema;
  ajv.addSchema({ $id: 'contract', $defs: rewrite(contract.components.schemas) });
  const cache = new Map<string, ValidateFunction>();

  const compile = (key: string, schema: Schema) => {
    let validate = cache.get(key);
    if (!validate) {
      validate = ajv.compile(rewrite(schema));
      cache.set(key, validate);
    }
    return validate;
  };

  return {
    /** What is wrong with a body under a schema: ajv's errors, none when it conforms. */
    errors(key: string, schema: Schema, body: unknown): ErrorObject[] {
      const validate = compile(key, schema);
      return validate(body) ? [] : [...(validate.errors ?? [])];
    },
    /** A short account of errors for a failure message. */
    describe(errors: ErrorObject[]): string {
      const shown = errors.slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
      return [...shown, ...(errors.length > 5 ? [`and ${errors.length - 5} more`] : [])].join('; ');
    },
  };
}

export type SchemaValidators = ReturnType<typeof schemaValidators>;
