import fc from 'fast-check';
import {
  isJsonMediaType,
  resolve,
  type Contract,
  type Operation,
  type Parameter,
  type Schema,
} from './contract';
import {
  asObject,
  boundaryValue,
  branches,
  dateTimeString,
  describeString,
  invalidValue,
  KnownId,
  RawJson,
  toJsonText,
  validValue,
  type ValueContext,
} from './schema-arbitraries';

/**
 * fast-check arbitraries for whole requests to the operations of an OpenAPI 3.1 document: path, query and
 * header parameters, the body and its media type, Accept, and who asks. A request is valid, at the boundaries,
 * or valid but for one part made invalid. What only the running server knows (the ids of its records, their
 * ETags, the cursors it issued) is left as a placeholder and filled in when the request is sent, so that valid
 * requests really reach the handlers' success paths.
 */

/** The ETag last seen for the record named in the path (or `"1"` when none was seen). */
export class KnownEtag {}

/** A cursor this operation issued earlier in the run (or any cursor seen, if it issued none yet). */
export class KnownCursor {
  constructor(readonly pick: number) {}
}

/** A query or path value sent exactly as written: already percent-encoded, possibly malformed on purpose. */
export class Encoded {
  constructor(readonly text: string) {}
}

/** A body sent as these exact bytes rather than serialised. */
export class RawBody {
  constructor(readonly bytes: string | Buffer) {}
}

/** A generated body whose JSON text is altered once serialised (cut short, given a BOM, …). */
export class MutatedJson {
  constructor(
    readonly value: unknown,
    readonly mutate: (text: string) => string | Buffer,
  ) {}
}

type Caller = 'admin' | 'contributor' | 'reader' | 'anonymous' | 'revoked' | { authorization: string };

type Intent = 'valid' | 'boundary' | 'invalid';

type ParamValue = string | string[] | Encoded | KnownId | KnownCursor | KnownEtag;

export interface FuzzRequest {
  operation: Operation;
  intent: Intent;
  /** For invalid requests, the part made invalid and how, e.g. `query.limit: above maximum`. */
  mutation: string | undefined;
  caller: Caller;
  pathParams: Record<string, ParamValue>;
  query: [string, ParamValue][];
  headers: Record<string, ParamValue>;
  /** contentType undefined: no Content-Type header at all. */
  body: { contentType: string | undefined; value: unknown } | undefined;
  /** Send the same request twice in a row, as a retrying client would (Idempotency-Key replays). */
  repeat: boolean;
}

/** Fills in placeholders from what the run has seen. */
export interface Resolver {
  id(ref: KnownId): string;
  /** The ETag of the record with this id (the one in the path). */
  etag(id: string | undefined): string;
  cursor(ref: KnownCursor): string;
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes the UTF-8 bytes of a string (a lone surrogate becomes U+FFFD, as in any UTF-8 encoder). */
function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += UNRESERVED.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A request as it goes on the wire, placeholders filled in. */
export interface WireRequest {
  method: string;
  /** Path and query, percent-encoded (or malformed on purpose) exactly as sent. */
  url: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  contentType: string | undefined;
  /** The `fields` asked for, when a read asks for sparse records. */
  fields: string[] | undefined;
  /** The id in the path, if there is one. */
  pathId: string | undefined;
}

/** Fills in a request's placeholders and encodes it as it is sent. */
export function toWire(request: FuzzRequest, resolver: Resolver): WireRequest {
  let pathId: string | undefined;
  const fill = (value: ParamValue): string | string[] | Encoded => {
    if (value instanceof KnownId) return resolver.id(value);
    if (value instanceof KnownEtag) return resolver.etag(pathId);
    if (value instanceof KnownCursor) return resolver.cursor(value);
    return value;
  };
  const encode = (v: string | string[] | Encoded) =>
    v instanceof Encoded ? v.text : percentEncode(Array.isArray(v) ? v.join(',') : v);

  const path = request.operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = fill(request.pathParams[name] ?? '');
    if (name === 'id' && typeof value === 'string') pathId = value;
    return encode(value);
  });
  const pairs = request.query.flatMap(([name, value]) => {
    const v = fill(value);
    if (v instanceof Encoded) return [`${percentEncode(name)}=${v.text}`];
    return [v].flat().map((s) => `${percentEncode(name)}=${percentEncode(s)}`);
  });

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    const v = fill(value);
    headers[name] = v instanceof Encoded ? v.text : [v].flat().join(', ');
  }

  const value = request.body?.value;
  let body: string | Buffer | undefined;
  if (value instanceof RawBody) body = value.bytes;
  else if (value instanceof MutatedJson) body = value.mutate(toJsonText(value.value, resolver.id));
  else if (request.body) body = toJsonText(value, resolver.id);

  const fields = request.query
    .filter(([name]) => name === 'fields')
    .map(([, v]) => fill(v))
    .flatMap((v) => (v instanceof Encoded ? [] : [v].flat().flatMap((s) => s.split(','))))
    .filter(Boolean);

  return {
    method: request.operation.method,
    url: pairs.length ? `${path}?${pairs.join('&')}` : path,
    headers,
    body,
    contentType: request.body?.contentType,
    fields: request.query.some(([name]) => name === 'fields') ? fields : undefined,
    pathId,
  };
}

// ---------------------------------------------------------------------------------------------------------
// What the document's paths say

/** The collection a path works on: the segment before `{id}` (`/v1/incidents/{id}/claims` → incidents). */
export function collectionOf(path: string): string {
  const segments = path.split('/').filter(Boolean);
  const param = segments.findIndex((s) => s.startsWith('{'));
  return segments[param > 0 ? param - 1 : Math.min(1, segments.length - 1)] ?? '';
}

/** Collections addressed by id in some path of the document. */
export function collectionsOf(operations: Operation[]): Set<string> {
  return new Set(operations.filter((o) => o.path.includes('{')).map((o) => collectionOf(o.path)));
}

/** The properties of the records a GET answers with: its JSON page's items, array's items, or the record. */
function recordFieldNames(contract: Contract, operation: Operation): string[] {
  const schema = operation.responses['200']?.content?.['application/json']?.schema;
  if (!schema) return [];
  let record = asObject(resolve(contract, schema));
  const data = (record.properties as Record<string, Schema> | undefined)?.data;
  if (data) record = asObject(resolve(contract, asObject(resolve(contract, data)).items as Schema));
  else if (record.type === 'array') record = asObject(resolve(contract, record.items as Schema));
  return Object.keys((record.properties ?? {}) as object);
}

// ---------------------------------------------------------------------------------------------------------
// Parameters: query, path and header values are strings on the wire

/** A generated value as the string(s) a URL or header carries. */
function onTheWire(value: unknown): ParamValue {
  if (
    value instanceof KnownId ||
    value instanceof KnownCursor ||
    value instanceof KnownEtag ||
    value instanceof Encoded
  ) {
    return value;
  }
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Percent-encodings that are malformed, or decode to bytes no text takes. */
const BAD_ENCODINGS = ['%', '%zz', '%FF', '%C0%AF', '%ED%A0%80', '%00', 'a%00b', '%E2%82', '%F4%90%80%80'];

/** base64url of JSON shaped like the API's cursors but not issued by it. */
function forgedCursor(operation: Operation): fc.Arbitrary<string> {
  const sort = operation.parameters.find((p) => p.name === 'sort')?.schema;
  const sortNames = ((asObject(sort ?? {}).enum as string[] | undefined) ?? []).concat([
    'created_at',
    '',
    'x',
  ]);
  const key = fc.oneof(
    fc.constant(null),
    fc.integer(),
    fc.double(),
    fc.string(),
    fc.uuid(),
    dateTimeString,
    fc.constantFrom('9999-12-31', 'infinity', 'NaN', 1e308, -(2 ** 31)),
  );
  return fc
    .record({ s: fc.constantFrom(...sortNames), a: fc.array(key, { maxLength: 4 }) })
    .map((payload) => Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url'));
}

/** Parameters whose valid values the server issues or HTTP defines, rather than their schema. */
const CONVENTIONS = ['cursor', 'fields', 'if-match', 'if-none-match', 'idempotency-key'];

/** Valid values of a parameter, with what some names mean in HTTP and in this API's conventions. */
function parameterValid(ctx: ValueContext, operation: Operation, param: Parameter): fc.Arbitrary<ParamValue> {
  const inner = { ...ctx, name: param.name };
  switch (param.name) {
    case 'cursor':
      return fc.oneof(
        { weight: 3, arbitrary: fc.nat().map((pick) => new KnownCursor(pick)) },
        { weight: 1, arbitrary: validValue(inner, param.schema).map(onTheWire) },
      );
    case 'fields': {
      const names = recordFieldNames(ctx.contract, operation);
      if (!names.length) break;
      return fc
        .uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 4 })
        .map((f) => f.join(','));
    }
    case 'if-match':
    case 'if-none-match':
      return fc.oneof(
        { weight: 6, arbitrary: fc.constant(new KnownEtag()) },
        { weight: 1, arbitrary: fc.constantFrom('*', '"1"', 'W/"1"', '"1", "2", "3"') },
      );
    case 'idempotency-key':
      // A few keys come back again and again, so that replays and reuse with another body happen.
      return fc.oneof(
        fc.constantFrom('retry-1', 'retry-2', 'retry-3'),
        fc.uuid(),
        validValue(inner, param.schema).map(onTheWire),
      );
  }
  if (param.in === 'query' && branches(ctx.contract, param.schema).some((b) => b.type === 'array')) {
    // A list goes as one value, comma-separated values, or the parameter repeated.
    const item = validValue(inner, { type: 'string' }).map(String);
    return fc.oneof(
      item,
      fc.array(item, { minLength: 1, maxLength: 3 }).map((v) => v.join(',')),
      fc.array(item, { minLength: 2, maxLength: 3 }),
    );
  }
  return validValue(inner, param.schema).map(onTheWire);
}

function parameterBoundary(ctx: ValueContext, operation: Operation, param: Parameter) {
  if (CONVENTIONS.includes(param.name)) return parameterValid(ctx, operation, param);
  return boundaryValue({ ...ctx, name: param.name }, param.schema).map(onTheWire);
}

/** What Node lets a client put in a header value: no control characters but tab, nothing above U+00FF. */
const HEADER_SAFE = /^[\t\x20-\x7e\x80-\xff]*$/;

const ODD_HEADERS: Record<string, string[]> = {
  'if-match': [
    'W/"1"',
    '"abc"',
    '1',
    '""',
    '"1',
    '*, "1"',
    `"${'9'.repeat(30)}"`,
    `"1",${' "2",'.repeat(300)}`,
  ],
  'if-none-match': ['W/"x"', '"', '*,*', `"${'9'.repeat(30)}"`],
  'idempotency-key': ['', ' ', 'has space', 'k'.repeat(256), 'caf\xe9', 'tab\there'],
};

function parameterInvalid(
  ctx: ValueContext,
  operation: Operation,
  param: Parameter,
): fc.Arbitrary<[ParamValue, string]> {
  const label = `${param.in}.${param.name}`;
  const fromSchema = invalidValue({ ...ctx, name: param.name }, param.schema)
    .map(([v, what]): [ParamValue, string] => [onTheWire(v), what])
    // An empty path segment is no invalid id: it addresses another resource (the collection).
    .filter(([v]) => param.in !== 'path' || [v].flat().join(',') !== '');
  if (param.in === 'header') {
    const odd = fc
      .constantFrom(...(ODD_HEADERS[param.name] ?? []), 'x'.repeat(5000), '\xff\xfe', '')
      .map((v): [ParamValue, string] => [v, `odd header ${describeString(v)}`]);
    return fc
      .oneof(odd, fromSchema)
      .filter(([v]) => typeof v === 'string' && HEADER_SAFE.test(v))
      .map(([v, what]) => [v, `${label}: ${what}`]);
  }
  const options = [
    fromSchema,
    fc
      .constantFrom(...BAD_ENCODINGS)
      .map((v): [ParamValue, string] => [new Encoded(v), `malformed encoding ${v}`]),
  ];
  if (param.name === 'cursor') {
    options.push(forgedCursor(operation).map((c): [ParamValue, string] => [c, 'forged cursor']));
  }
  if (param.in === 'query') {
    // The same parameter twice where the schema takes one value.
    options.push(
      validValue({ ...ctx, name: param.name }, param.schema).map((v): [ParamValue, string] => {
        const once = String(onTheWire(v));
        return [[once, once], 'repeated'];
      }),
    );
  }
  return fc.oneof(...options).map(([v, what]) => [v, `${label}: ${what}`]);
}

// ---------------------------------------------------------------------------------------------------------
// Bodies

/** Just over the default body limit (BODY_LIMIT, 1 MiB). */
const OVERSIZED = 1024 * 1024 + 1;

/** Bodies below the schema: text that is not JSON, or JSON a schema was never meant to see. */
const MALFORMED_BODIES: [(valid: string) => string | Buffer, string][] = [
  [() => '', 'empty body'],
  [() => '{', 'truncated'],
  [(valid) => valid.slice(0, Math.max(1, Math.floor(valid.length / 2))), 'cut in half'],
  [(valid) => `${valid}garbage`, 'trailing garbage'],
  [(valid) => `\uFEFF${valid}`, 'byte order mark'],
  [() => "{'title': 'single quotes'}", 'single quotes'],
  [() => '{"a":1,"a":2}', 'duplicate keys'],
  [(valid) => valid.replace(/^\{/, '{"__proto__":{"polluted":true},'), '__proto__ key'],
  [
    (valid) => valid.replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},'),
    'constructor.prototype key',
  ],
  [() => 'null', 'null'],
  [() => '[]', 'array'],
  [() => '"text"', 'string'],
  [() => '12', 'number'],
  [() => '1e999', 'infinite number'],
  [() => 'NaN', 'NaN'],
  [() => '{"a":"\\ud800"}', 'escaped lone surrogate'],
  [() => '{"a":"\\u0000"}', 'escaped NUL'],
  [
    () => Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]),
    'invalid UTF-8',
  ],
  [() => '['.repeat(100_000) + ']'.repeat(100_000), 'nested 100000 deep'],
];

const WRONG_CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json-patch+json',
  'application/jsonx',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json; charset=iso-8859-1',
  '*/*',
  ';',
];

type Body = [FuzzRequest['body'], string | undefined];

interface BodyArbitraries {
  valid: fc.Arbitrary<Body>;
  boundary: fc.Arbitrary<Body>;
  /** One per way a body can be wrong, weighted by how much there is to find in it. */
  invalid: fc.WeightedArbitrary<Body>[];
}

function bodyArbitraries(ctx: ValueContext, operation: Operation): BodyArbitraries {
  const content = operation.requestBody?.content;
  if (!content) {
    const none = fc.constant<Body>([undefined, undefined]);
    // A body where none is documented; GET bodies are ignored by HTTP servers, so only other methods get one.
    const unexpected = fc
      .constantFrom<[string | undefined, string]>(
        ['application/json', '{"unexpected":true}'],
        ['text/plain', 'hello'],
        [undefined, 'no content type'],
      )
      .map(([contentType, text]): Body => [
        { contentType, value: new RawBody(text) },
        `unexpected body (${contentType ?? 'none'})`,
      ]);
    const invalid = operation.method === 'get' ? [] : [{ weight: 1, arbitrary: unexpected }];
    return { valid: none, boundary: none, invalid };
  }
  const mediaTypes = Object.keys(content);
  const schema = content[mediaTypes[0]!]!.schema ?? {};
  const mediaType = fc.constantFrom(...mediaTypes);
  const valid = validValue(ctx, schema);
  // A body of another media type (a CSV file, say) whose schema is a string is that text itself, not JSON.
  const asBody = (arbitrary: fc.Arbitrary<unknown>) =>
    fc.tuple(mediaType, arbitrary).map(([contentType, value]): Body => [
      {
        contentType,
        value: !isJsonMediaType(contentType) && typeof value === 'string' ? new RawBody(value) : value,
      },
      undefined,
    ]);
  return {
    valid: asBody(valid),
    boundary: asBody(boundaryValue(ctx, schema)),
    invalid: [
      {
        // Values the schema rejects: where the server's checks and its documentation most often part.
        weight: 8,
        arbitrary: fc
          .tuple(mediaType, invalidValue(ctx, schema))
          .map(([contentType, [value, what]]): Body => [{ contentType, value }, `body: ${what}`]),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(mediaType, valid, fc.constantFrom(...MALFORMED_BODIES))
          .map(([contentType, value, [mutate, what]]): Body => [
            { contentType, value: new MutatedJson(value, mutate) },
            `body: ${what}`,
          ]),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.option(fc.constantFrom(...WRONG_CONTENT_TYPES), { freq: 5 }), valid)
          .map(([contentType, value]): Body => [
            { contentType: contentType ?? undefined, value },
            `content-type: ${contentType ?? 'none'}`,
          ]),
      },
      {
        weight: 1,
        arbitrary: mediaType.map((contentType): Body => [
          { contentType, value: new RawBody(`{"title":"${'x'.repeat(OVERSIZED)}"}`) },
          'body over 1 MiB',
        ]),
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Callers and Accept

const callerArbitrary: fc.Arbitrary<Caller> = fc.oneof(
  { weight: 36, arbitrary: fc.constant('admin' as const) },
  { weight: 4, arbitrary: fc.constant('contributor' as const) },
  { weight: 4, arbitrary: fc.constant('reader' as const) },
  { weight: 4, arbitrary: fc.constant('anonymous' as const) },
  { weight: 1, arbitrary: fc.constant('revoked' as const) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          'Basic dXNlcjpwYXNz',
          'bearer  cbk_x',
          `Bearer cbk_${'A'.repeat(43)} extra`,
          `Bearer ${'x'.repeat(5000)}`,
          'Bearer cbk_\xe9\xff',
        ),
        // Well-formed keys this server never issued.
        fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((s) => `Bearer cbk_${s}`),
      )
      .map((authorization) => ({ authorization })),
  },
);

/** Accept values: the media types the operation documents for success, or ones it does not offer. */
function acceptArbitrary(operation: Operation, valid: boolean): fc.Arbitrary<string> {
  const offered = [
    ...new Set(
      Object.entries(operation.responses)
        .filter(([status]) => status.startsWith('2'))
        .flatMap(([, r]) => Object.keys(r.content ?? {})),
    ),
  ];
  if (valid) {
    return fc.oneof(
      fc.constantFrom('*/*', ...offered),
      fc
        .uniqueArray(
          fc.tuple(
            fc.constantFrom(...offered, '*/*'),
            fc.constantFrom('', ';q=0.5', ';q=1', ';q=0.1', ';charset=utf-8'),
          ),
          { minLength: 1, maxLength: 3, selector: ([type]) => type },
        )
        .map((ranges) => ranges.map(([type, params]) => `${type}${params}`).join(', ')),
    );
  }
  return fc.constantFrom(
    'application/xml',
    'text/html',
    'image/png, application/pdf;q=0.9',
    `${offered[0] ?? 'application/json'};q=0`,
    'application/json;q=abc',
    ';;;,,,',
    'x'.repeat(5000),
    '*/*;q=-1',
    'application/*;q=0, text/*;q=0',
  );
}

const UNKNOWN_QUERY: [string, string][] = [
  ['unknown', '1'],
  ['__proto__', 'x'],
  ['constructor', 'x'],
  ['limit[]', '1'],
  ['a'.repeat(1000), 'b'],
];

// ---------------------------------------------------------------------------------------------------------
// Requests

interface Parts {
  pathParams: Record<string, ParamValue>;
  query: [string, ParamValue][];
  headers: Record<string, ParamValue>;
  body: FuzzRequest['body'];
  mutation: string | undefined;
}

type Drawn = [ParamValue, string | undefined];

interface ArbitraryOptions {
  contract: Contract;
  hints: Map<string, Schema[]>;
  collections: Set<string>;
}

/** Requests to one operation: valid ones, ones at the boundaries, and ones with one part made invalid. */
export function requestArbitrary(operation: Operation, options: ArbitraryOptions): fc.Arbitrary<FuzzRequest> {
  const ctx: ValueContext = { ...options, collection: collectionOf(operation.path), name: '' };

  // Optional parameters are sent a third of the time, or less where there are many, so that a valid request
  // combines a few of them rather than every filter at once.
  const optional = operation.parameters.filter((p) => !p.required).length;
  const sendOptional = Math.min(35, Math.round(300 / Math.max(optional, 1)));

  // Every part's arbitraries are built once: building them while drawing would cost more than the requests.
  const params = operation.parameters.map((param) => {
    const valid = parameterValid(ctx, operation, param).map((v): Drawn => [v, undefined]);
    const edge = parameterBoundary(ctx, operation, param).map((v): Drawn => [v, undefined]);
    return {
      param,
      valid,
      boundary: fc.oneof(valid, edge),
      invalid: parameterInvalid(ctx, operation, param) as fc.Arbitrary<Drawn>,
      present: param.required
        ? fc.constant(true)
        : fc.integer({ min: 0, max: 99 }).map((n) => n < sendOptional),
    };
  });
  const bodies = bodyArbitraries(ctx, operation);
  const accept = fc
    .option(acceptArbitrary(operation, true), { freq: 2 })
    .map((v): Drawn => [v ?? '', undefined]);
  const oddAccept = acceptArbitrary(operation, false).map((v): Drawn => [v, `accept: ${describeString(v)}`]);
  const unknownQuery = fc
    .constantFrom(...UNKNOWN_QUERY)
    .map((pair) => [pair, `unknown query parameter ${pair[0].slice(0, 20)}`] as const);

  /** The parts of a request, with at most one of them drawn from its invalid values. */
  const assemble = (
    intent: Intent,
    invalid?: { param?: Parameter; body?: fc.Arbitrary<Body>; accept?: true; unknownQuery?: true },
  ): fc.Arbitrary<Parts> => {
    const chosen = fc.tuple(
      ...params.map(({ param, valid, boundary, invalid: wrong, present }) =>
        param === invalid?.param
          ? wrong.map((v) => [param, v] as const)
          : fc
              .tuple(present, intent === 'boundary' ? boundary : valid)
              .map(([yes, v]) => (yes ? ([param, v] as const) : undefined)),
      ),
    );
    const body = invalid?.body ?? (intent === 'boundary' ? bodies.boundary : bodies.valid);
    return fc
      .tuple(
        chosen,
        invalid?.accept ? oddAccept : accept,
        invalid?.unknownQuery ? unknownQuery : fc.constant(undefined),
        body,
      )
      .map(([entries, [acceptValue, acceptMutation], unknown, [bodyValue, bodyMutation]]) => {
        const parts: Parts = { pathParams: {}, query: [], headers: {}, body: bodyValue, mutation: undefined };
        const mutations = [acceptMutation, unknown?.[1], bodyMutation];
        for (const entry of entries) {
          if (!entry) continue;
          const [param, [v, mutation]] = entry;
          mutations.push(mutation);
          if (param.in === 'path') parts.pathParams[param.name] = v;
          else if (param.in === 'query') parts.query.push([param.name, v]);
          else if (param.in === 'header') parts.headers[param.name] = v;
        }
        if (acceptValue !== '') parts.headers.accept = acceptValue;
        if (unknown) parts.query.push(unknown[0]);
        parts.mutation = mutations.filter(Boolean).join('; ') || undefined;
        return parts;
      });
  };

  const invalidParts: fc.WeightedArbitrary<Parts>[] = [
    ...operation.parameters.map((param) => ({ weight: 2, arbitrary: assemble('valid', { param }) })),
    ...bodies.invalid.map(({ weight, arbitrary }) => ({
      weight,
      arbitrary: assemble('valid', { body: arbitrary }),
    })),
    { weight: 1, arbitrary: assemble('valid', { unknownQuery: true }) },
    ...(operation.method === 'get' ? [{ weight: 2, arbitrary: assemble('valid', { accept: true }) }] : []),
  ];

  // Retrying only means something for the POSTs that take an Idempotency-Key.
  const retries = operation.parameters.some((p) => p.name === 'idempotency-key');
  const repeat = retries ? fc.integer({ min: 0, max: 9 }).map((n) => n === 0) : fc.constant(false);

  const request = fc.oneof(
    { weight: 5, arbitrary: assemble('valid').map((p) => ({ intent: 'valid' as Intent, ...p })) },
    { weight: 2, arbitrary: assemble('boundary').map((p) => ({ intent: 'boundary' as Intent, ...p })) },
    { weight: 4, arbitrary: fc.oneof(...invalidParts).map((p) => ({ intent: 'invalid' as Intent, ...p })) },
  );
  return fc
    .tuple(request, callerArbitrary, repeat)
    .map(([parts, caller, again]) => ({ operation, caller, repeat: again, ...parts }));
}
