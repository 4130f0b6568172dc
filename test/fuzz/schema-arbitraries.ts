import fc from 'fast-check';
import { resolve, type Contract, type Schema } from './contract';

/**
 * fast-check arbitraries for values of a JSON Schema as OpenAPI 3.1 writes it: values the schema accepts, values
 * at its edges, and values it rejects (each with a short account of what is wrong with it).
 */

/** The id of a record of a collection (e.g. `incidents`) the run holds; `pick` chooses among them when sent. */
export class KnownId {
  constructor(
    readonly collection: string,
    readonly pick: number,
  ) {}
}

/** JSON text placed verbatim into a body, for what JSON.stringify cannot write (e.g. 1e999, -0). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text of a generated value, with record ids filled in and RawJson written verbatim. */
export function toJsonText(value: unknown, id: (ref: KnownId) => string): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof KnownId) return JSON.stringify(id(value));
  if (Array.isArray(value)) return `[${value.map((v) => toJsonText(v, id)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v, id)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface ValueContext {
  contract: Contract;
  /** Collections whose records are addressed by id in some path, e.g. sources, incidents, claims, api-keys. */
  collections: Set<string>;
  /** The collection the operation works on. */
  collection: string;
  /** String shapes other schemas give a property of this name; used for loose query strings only. */
  hints: Map<string, Schema[]>;
  /** The name of the property or parameter being generated, for id references and hints. */
  name: string;
}

type SchemaObject = { [keyword: string]: unknown };
const NO_HINTS = new Map<string, Schema[]>();
export const asObject = (schema: Schema): SchemaObject => (typeof schema === 'object' ? schema : {});

/** The collection an id-valued name refers to: `id` → the operation's own; `incident_id` → incidents. */
function referencedCollection(ctx: ValueContext): string | undefined {
  if (ctx.name === 'id') return ctx.collection;
  const match = /^(.+)_id$/.exec(ctx.name);
  if (!match) return undefined;
  const plural = `${match[1]}s`;
  return ctx.collections.has(plural) ? plural : ctx.collection;
}

/** Alternatives of a schema: its anyOf/oneOf branches, or its list of types, each as a schema of its own. */
export function branches(contract: Contract, schema: Schema): SchemaObject[] {
  const s = asObject(resolve(contract, schema));
  const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (alternatives) return alternatives.flatMap((a) => branches(contract, a));
  if (Array.isArray(s.type)) return (s.type as string[]).map((type) => ({ ...s, type }));
  return [s];
}

function isNullable(contract: Contract, schema: Schema): boolean {
  return branches(contract, schema).some((b) => b.type === 'null' || (b.enum as unknown[])?.includes(null));
}

function typesOf(contract: Contract, schema: Schema): Set<string> {
  const types = new Set<string>();
  for (const b of branches(contract, schema)) {
    if (typeof b.type === 'string') types.add(b.type === 'integer' ? 'number' : b.type);
    else if (b.enum) for (const v of b.enum as unknown[]) types.add(v === null ? 'null' : typeof v);
    else if (b.const !== undefined) types.add(typeof b.const);
  }
  return types;
}

/** For each property name in the components, the string shapes (enum, pattern, format) some schema gives it. */
export function nameHints(contract: Contract): Map<string, Schema[]> {
  const hints = new Map<string, Schema[]>();
  for (const schema of Object.values(contract.components.schemas)) {
    const properties = (asObject(schema).properties ?? {}) as Record<string, Schema>;
    for (const [name, property] of Object.entries(properties)) {
      for (const b of branches(contract, property)) {
        const items = b.type === 'array' ? branches(contract, (b.items as Schema) ?? {}) : [b];
        for (const item of items) {
          if (item.type === 'string' && (item.enum || item.pattern || item.format)) {
            hints.set(name, [...(hints.get(name) ?? []), item]);
          }
        }
      }
    }
  }
  return hints;
}

// ---------------------------------------------------------------------------------------------------------
// Strings

/** Words such a database holds: English and Arabic names from the domain. */
const WORDS = [
  'Latakia',
  'Baniyas',
  'al-Mukhtariya',
  'Jableh',
  'Syrian Network for Human Rights',
  'Ministry of Interior',
  'executions',
  'shelling of the market',
  'مجزرة المختارية',
  'اللاذقية',
  'Nuku’alofa',
  'Zürich',
];

// Built once: some string arbitraries cost tens of milliseconds to build, and thousands are needed.
const GRAPHEMES = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
const ASCII = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const WEB_URLS = fc.webUrl({ validSchemes: ['http', 'https'] });

const text = (maxLength = 60, minLength = 0) =>
  fc
    .oneof(
      { weight: 3, arbitrary: fc.constantFrom(...WORDS) },
      { weight: 2, arbitrary: GRAPHEMES },
      { weight: 1, arbitrary: ASCII },
    )
    .filter((s) => s.length >= minLength && [...s].length <= maxLength);

/** Unicode that is well-formed but tends to break assumptions: direction marks, combining, astral, BOM. */
const ODD_UNICODE = [
  '\u202Eevil\u202C',
  'e\u0301\u0301\u0301',
  '👩‍👩‍👧‍👦',
  '𝒳𝒴𝒵',
  '\uFEFFbom',
  '\u200B',
  'تجربة',
  '\uFFFD',
  '\uFFFF\uFFFE',
  'Ω≈ç√∫',
  '\u2028\u2029',
  '  ',
  '\t',
];

/** Strings that have broken servers: NUL, lone surrogates, control characters, very long ones, injections. */
const HOSTILE_STRINGS = [
  'a\u0000b',
  '\u0000',
  'a\uD800b',
  '\uDFFF',
  '\uD83D',
  '\u0001\u001F\u007F',
  'x'.repeat(5000),
  'é'.repeat(5000),
  "' or '1'='1",
  '"; drop table incidents; --',
  '{{7*7}}${7*7}',
  '../../etc/passwd',
  '%00%ff',
];

/** A string for a failure message: short, and with anything unprintable escaped. */
export function describeString(v: string): string {
  if (v.length > 40) return `(${v.length} chars)`;
  return JSON.stringify(v).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const patterns = new Map<string, fc.Arbitrary<string>>();

/** Strings matching a pattern; compiled once per pattern, which is the costly part. */
function matching(pattern: string): fc.Arbitrary<string> {
  let arbitrary = patterns.get(pattern);
  if (!arbitrary) {
    arbitrary = fc.stringMatching(new RegExp(pattern, 'u'), { size: 'small' });
    patterns.set(pattern, arbitrary);
  }
  return arbitrary;
}

// ---------------------------------------------------------------------------------------------------------
// Valid values

const dateTime = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.date({
      min: new Date('1990-01-01T00:00:00Z'),
      max: new Date('2030-12-31T00:00:00Z'),
      noInvalidDate: true,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.date({
      min: new Date('0001-01-01T00:00:00.000Z'),
      max: new Date('9999-12-31T23:59:59.999Z'),
      noInvalidDate: true,
    }),
  },
);

/** An RFC 3339 timestamp string, mostly of recent decades. */
export const dateTimeString = dateTime.map((d) => d.toISOString());

function formatValue(ctx: ValueContext, s: SchemaObject): fc.Arbitrary<unknown> | undefined {
  switch (s.format) {
    case 'uuid': {
      const collection = referencedCollection(ctx);
      const random = fc.uuid();
      if (!collection) return random;
      // Mostly a record of the right collection; sometimes one of another, which must be a 404 or a 422.
      const other = fc
        .tuple(fc.constantFrom(...ctx.collections), fc.nat())
        .map(([c, pick]) => new KnownId(c, pick));
      return fc.oneof(
        { weight: 8, arbitrary: fc.nat().map((pick) => new KnownId(collection, pick)) },
        { weight: 1, arbitrary: other },
        { weight: 1, arbitrary: random },
      );
    }
    case 'date':
      return dateTime.map((d) => d.toISOString().slice(0, 10));
    case 'date-time':
      return dateTimeString;
    case 'uri': {
      const maxLength = (s.maxLength as number | undefined) ?? 2048;
      return fc.oneof(
        fc.constant('https://example.org/reports/2025/03/latakia'),
        WEB_URLS.filter((u) => u.length <= maxLength),
      );
    }
    default:
      return undefined;
  }
}

function stringValue(ctx: ValueContext, s: SchemaObject): fc.Arbitrary<unknown> {
  const formatted = formatValue(ctx, s);
  if (formatted) return formatted;
  const minLength = (s.minLength as number | undefined) ?? 0;
  const maxLength = s.maxLength as number | undefined;
  if (typeof s.pattern === 'string') {
    return matching(s.pattern).filter(
      (v) => v.length >= minLength && (maxLength === undefined || [...v].length <= maxLength),
    );
  }
  // A loose string another schema names more precisely (e.g. a category filter): mostly that shape.
  const hinted = ctx.hints.get(ctx.name);
  if (hinted?.length) {
    const plain = { ...ctx, hints: NO_HINTS };
    return fc.oneof(
      { weight: 4, arbitrary: fc.oneof(...hinted.map((h) => validValue(plain, h))) },
      { weight: 1, arbitrary: text(maxLength, minLength) },
    );
  }
  return text(maxLength, minLength);
}

function numberBounds(s: SchemaObject, integer: boolean) {
  const step = integer ? 1 : Number.EPSILON;
  const min =
    (s.minimum as number | undefined) ??
    (s.exclusiveMinimum !== undefined ? (s.exclusiveMinimum as number) + step : undefined);
  const max =
    (s.maximum as number | undefined) ??
    (s.exclusiveMaximum !== undefined ? (s.exclusiveMaximum as number) - step : undefined);
  return { min, max };
}

/** A value the schema accepts. */
export function validValue(ctx: ValueContext, schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  const alternatives = branches(ctx.contract, schema);
  if (alternatives.length > 1) return fc.oneof(...alternatives.map((b) => validValue(ctx, b, depth)));
  const s = alternatives[0]!;
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...(s.enum as unknown[]));
  switch (s.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const { min = -1_000_000, max = 1_000_000 } = numberBounds(s, true);
      return fc.oneof(
        fc.integer({ min, max: Math.min(max, min + 500) }),
        fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }),
      );
    }
    case 'number': {
      const { min = -1e6, max = 1e6 } = numberBounds(s, false);
      // + 0 turns -0 into 0, as JSON writes it.
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((n) => n + 0);
    }
    case 'string':
      return stringValue(ctx, s);
    case 'array': {
      const tuple = (s.prefixItems as Schema[] | undefined)?.map((p) => validValue(ctx, p, depth + 1));
      if (tuple) return fc.tuple(...tuple);
      const maxItems = Math.min((s.maxItems as number | undefined) ?? 4, 4);
      return fc.array(validValue(ctx, (s.items as Schema) ?? {}, depth + 1), {
        minLength: Math.min((s.minItems as number | undefined) ?? 0, maxItems),
        maxLength: maxItems,
      });
    }
    case 'object':
      return objectValue(ctx, s, depth, 'valid');
    default:
      return fc.constantFrom('value', 1, true, null);
  }
}

function objectValue(ctx: ValueContext, s: SchemaObject, depth: number, mode: 'valid' | 'boundary') {
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  const required = (s.required ?? []) as string[];
  if (Object.keys(properties).length === 0) {
    if (depth > 4 || !s.additionalProperties) return fc.constant({});
    return fc.dictionary(text(30, 1), validValue(ctx, s.additionalProperties as Schema, depth + 1), {
      maxKeys: 3,
    });
  }
  const model = Object.fromEntries(
    Object.entries(properties).map(([name, property]) => {
      // Hints are for loose query strings; a body property says itself what it takes.
      const inner = { ...ctx, name, hints: NO_HINTS };
      const valid = validValue(inner, property, depth + 1);
      return [name, mode === 'boundary' ? fc.oneof(valid, boundaryValue(inner, property, depth + 1)) : valid];
    }),
  );
  return fc.record(model, { requiredKeys: required });
}

// ---------------------------------------------------------------------------------------------------------
// Boundary values

/** Values at the edges of what the schema accepts: extremes of ranges and lengths, odd but valid text. */
export function boundaryValue(ctx: ValueContext, schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  const alternatives = branches(ctx.contract, schema);
  if (alternatives.length > 1) return fc.oneof(...alternatives.map((b) => boundaryValue(ctx, b, depth)));
  const s = alternatives[0]!;
  if (s.enum || s.const !== undefined) return validValue(ctx, s, depth);
  switch (s.type) {
    case 'integer':
    case 'number': {
      const integer = s.type === 'integer';
      const { min, max } = numberBounds(s, integer);
      const edges: unknown[] = [0, integer ? 1 : 5e-324, integer ? 2 ** 31 - 1 : 1e-7];
      if (min !== undefined) edges.push(min, integer ? min + 1 : min + 1e-9);
      if (max !== undefined) edges.push(max, integer ? max - 1 : max - 1e-9);
      const inRange = edges.filter(
        (v) => typeof v === 'number' && (min === undefined || v >= min) && (max === undefined || v <= max),
      );
      // Spellings of zero and ten that JSON allows but JSON.stringify never writes.
      if (!integer && (min ?? 0) <= 0 && (max ?? 10) >= 10)
        inRange.push(new RawJson('-0'), new RawJson('1E1'));
      return fc.constantFrom(...inRange);
    }
    case 'string':
      return stringBoundary(ctx, s);
    case 'array': {
      const maxItems = Math.min((s.maxItems as number | undefined) ?? 10, 200);
      const item = validValue(ctx, (s.items as Schema) ?? {}, depth + 1);
      return fc.oneof(fc.constant([]), fc.array(item, { minLength: maxItems, maxLength: maxItems }));
    }
    case 'object':
      return objectValue(ctx, s, depth, 'boundary');
    default:
      return validValue(ctx, s, depth);
  }
}

function stringBoundary(ctx: ValueContext, s: SchemaObject): fc.Arbitrary<unknown> {
  switch (s.format) {
    case 'date':
      return fc.constantFrom('0001-01-01', '9999-12-31', '2024-02-29', '2000-02-29', '1970-01-01');
    case 'date-time':
      return fc.constantFrom(
        '0001-01-01T00:00:00Z',
        '9999-12-31T23:59:59.999Z',
        '2025-03-07T12:00:00+14:00',
        '2025-03-07T12:00:00-12:00',
        '2025-03-07T12:00:00.123456789Z',
        '0001-01-01T00:00:00+00:00',
      );
    case 'uuid':
      return fc.constantFrom(
        '00000000-0000-0000-0000-000000000000',
        'ffffffff-ffff-ffff-ffff-ffffffffffff',
        'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
      );
    case 'uri': {
      const maxLength = (s.maxLength as number | undefined) ?? 2048;
      const base = 'https://example.org/';
      return fc.constantFrom(
        'http://a.bc',
        'https://[::1]:65535/x?y=z#f',
        'http://localhost/',
        base + 'a'.repeat(maxLength - base.length),
      );
    }
  }
  if (s.pattern) return stringValue(ctx, s);
  const maxLength = (s.maxLength as number | undefined) ?? 1000;
  const minLength = (s.minLength as number | undefined) ?? 0;
  const edges = [
    'x'.repeat(maxLength),
    'é'.repeat(maxLength),
    // As many astral characters as maxLength allows code points: twice as many UTF-16 units.
    '𝒳'.repeat(maxLength),
    'x'.repeat(Math.max(minLength, 1)),
    ...ODD_UNICODE,
  ].filter((v) => v.length >= minLength);
  return fc.constantFrom(...edges);
}

// ---------------------------------------------------------------------------------------------------------
// Invalid values

const FORMAT_VIOLATIONS: Record<string, string[]> = {
  uuid: [
    'not-a-uuid',
    '00000000-0000-0000-0000-00000000000',
    '123e4567-e89b-02d3-a456-426614174000',
    '{123e4567-e89b-42d3-a456-426614174000}',
    '123e4567-e89b-42d3-a456-426614174000x',
  ],
  date: ['2025-02-30', '2025-13-01', '2025-1-1', '20250307', '0000-01-01', '+010000-01-01', 'today'],
  'date-time': [
    '2025-03-07',
    '2025-03-07T12:00:00',
    '2025-03-07 12:00:00Z',
    '2025-03-07T24:00:00Z',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59-14:00',
    '1741348800',
  ],
  uri: [
    'not a url',
    'ftp://example.org/file',
    'javascript:alert(1)',
    'http://',
    'http://example.org/ü',
    'http://example.org/a b',
    'http://example.org/%zz',
    `https://example.org/${'a'.repeat(2100)}`,
  ],
};

/** A value the schema rejects, with a short account of what is wrong with it. */
export function invalidValue(ctx: ValueContext, schema: Schema): fc.Arbitrary<[unknown, string]> {
  const types = typesOf(ctx.contract, schema);
  const wrongTypes = (
    [
      [null, 'null'],
      [true, 'boolean'],
      [42, 'number'],
      ['42', 'string'],
      [[], 'array'],
      [{ a: 1 }, 'object'],
    ] as [unknown, string][]
  ).filter(([, type]) => !types.has(type));
  // Values of the right type that break a constraint come first: they are where a server's own checks most
  // often differ from its documentation.
  const options: fc.WeightedArbitrary<[unknown, string]>[] = [];
  if (wrongTypes.length) {
    options.push({
      weight: 2,
      arbitrary: fc.constantFrom(...wrongTypes).map(([v, t]) => [v, `wrong type ${t}`]),
    });
  }
  const push = (...arbitraries: fc.Arbitrary<[unknown, string]>[]) =>
    options.push(...arbitraries.map((arbitrary) => ({ weight: 4, arbitrary })));

  for (const s of branches(ctx.contract, schema)) {
    if (s.enum) {
      const first = String((s.enum as unknown[])[0]);
      push(
        fc.constantFrom<[unknown, string]>(
          ['bogus', 'not in enum'],
          [`${first.toUpperCase()} `, 'enum value altered'],
          ['', 'empty enum value'],
        ),
      );
    } else if (s.type === 'integer' || s.type === 'number') {
      push(numberInvalid(s));
    } else if (s.type === 'string') {
      push(stringInvalid(s));
    } else if (s.type === 'array') {
      push(...arrayInvalid(ctx, s));
    } else if (s.type === 'object' && s.properties) {
      push(objectInvalid(ctx, s));
    }
  }
  options.push({
    weight: 1,
    arbitrary: fc
      .integer({ min: 500, max: 5000 })
      .map((depth): [unknown, string] => [
        new RawJson('['.repeat(depth) + ']'.repeat(depth)),
        `nested ${depth} deep`,
      ]),
  });
  return fc.oneof(...options);
}

function numberInvalid(s: SchemaObject): fc.Arbitrary<[unknown, string]> {
  const { min, max } = numberBounds(s, s.type === 'integer');
  const out: [unknown, string][] = [
    [1e308, 'huge number'],
    [-1e308, 'huge negative number'],
    [new RawJson('1e999'), 'number beyond double range'],
    [new RawJson('123456789012345678901234567890'), 'integer beyond 64 bits'],
    ['1', 'number as string'],
  ];
  if (s.type === 'integer') out.push([1.5, 'fraction'], [2 ** 53 + 2, 'beyond safe integer']);
  if (min !== undefined) out.push([min - 1, 'below minimum']);
  if (max !== undefined) out.push([max + 1, 'above maximum']);
  return fc.constantFrom(...out);
}

function stringInvalid(s: SchemaObject): fc.Arbitrary<[unknown, string]> {
  const options: fc.WeightedArbitrary<[unknown, string]>[] = [
    {
      weight: 2,
      arbitrary: fc.constantFrom(...HOSTILE_STRINGS).map((v) => [v, `hostile string ${describeString(v)}`]),
    },
  ];
  // What a format rules out is where a server's own checks most often differ from its documentation.
  const violations = FORMAT_VIOLATIONS[s.format as string];
  if (violations) {
    options.push({
      weight: 3,
      arbitrary: fc
        .constantFrom(...violations)
        .map((v) => [v, `bad ${String(s.format)} ${describeString(v)}`]),
    });
  }
  const edges: [unknown, string][] = [];
  if (s.maxLength !== undefined) edges.push(['x'.repeat((s.maxLength as number) + 1), 'one over maxLength']);
  if (s.pattern) edges.push(['!', 'does not match pattern'], ['', 'empty']);
  if (edges.length) options.push({ weight: 1, arbitrary: fc.constantFrom(...edges) });
  return fc.oneof(...options);
}

function arrayInvalid(ctx: ValueContext, s: SchemaObject): fc.Arbitrary<[unknown, string]>[] {
  const options: fc.Arbitrary<[unknown, string]>[] = [];
  const maxItems = s.maxItems as number | undefined;
  if (maxItems !== undefined && maxItems <= 1000) {
    const item = validValue(ctx, (s.items as Schema) ?? {});
    options.push(
      fc.array(item, { minLength: maxItems + 1, maxLength: maxItems + 1 }).map((a) => [a, 'too many items']),
    );
  }
  if (s.items) {
    options.push(invalidValue(ctx, s.items as Schema).map(([v, what]) => [[v], `item: ${what}`]));
  }
  return options;
}

function objectInvalid(ctx: ValueContext, s: SchemaObject): fc.Arbitrary<[unknown, string]> {
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  const required = (s.required ?? []) as string[];
  const names = Object.keys(properties);
  const base = objectValue(ctx, s, 0, 'valid') as fc.Arbitrary<Record<string, unknown>>;
  const options: fc.WeightedArbitrary<[unknown, string]>[] = [
    {
      // A property the schema does not know, including ones the server owns.
      weight: 1,
      arbitrary: fc
        .tuple(base, fc.constantFrom('unexpected', 'id', 'version', 'created_at', 'status', 'ref'))
        .map(([v, extra]) => [{ ...v, [extra]: 1 }, `extra property ${extra}`]),
    },
    {
      // One property with a value it does not take; those with a format or pattern more often, as their checks
      // are the likeliest to differ between a server and its documentation.
      weight: 4,
      arbitrary: fc.oneof(
        ...names.map((name) => ({
          weight: branches(ctx.contract, properties[name]!).some((b) => b.format || b.pattern) ? 3 : 1,
          arbitrary: fc
            .tuple(base, invalidValue({ ...ctx, name, hints: NO_HINTS }, properties[name]!))
            .map(([v, [bad, what]]): [unknown, string] => [{ ...v, [name]: bad }, `${name}: ${what}`]),
        })),
      ),
    },
  ];
  if (required.length) {
    options.push({
      weight: 1,
      arbitrary: fc
        .tuple(base, fc.constantFrom(...required))
        .map(([v, name]) => [
          Object.fromEntries(Object.entries(v).filter(([k]) => k !== name)),
          `without ${name}`,
        ]),
    });
  }
  // Every property present and null: valid only where each allows it.
  if (names.some((n) => !isNullable(ctx.contract, properties[n]!))) {
    options.push({
      weight: 1,
      arbitrary: fc.constant([Object.fromEntries(names.map((n) => [n, null])), 'every property null']),
    });
  }
  return fc.oneof(...options);
}
