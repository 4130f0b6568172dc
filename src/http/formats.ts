import type { FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { AppError } from '../core/errors';
import { queryBoolean, queryList } from './fields';

export const FORMATS = ['json', 'ndjson', 'csv', 'geojson'] as const;
export type Format = (typeof FORMATS)[number];

export const MEDIA_TYPES: Record<Format, string> = {
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv',
  geojson: 'application/geo+json',
};

const ALIASES: Record<string, Format> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'text/csv': 'csv',
  'application/geo+json': 'geojson',
  'application/*': 'json',
  'text/*': 'csv',
  '*/*': 'json',
};

/** One CSV column: a stable name, its HXL hashtag, and how to read it from a record. */
export interface CsvColumn<T> {
  name: string;
  hxl: string;
  value: (item: T) => string | number | boolean | null | undefined;
}

/** How one resource is written in each format besides JSON. */
export interface Representations<T> {
  csv: CsvColumn<T>[];
  /** A GeoJSON Feature (RFC 7946) for the record; only resources with a location have one. */
  feature?: (item: T) => GeoJsonFeature;
}

export interface GeoJsonFeature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Point'; coordinates: [number, number] } | null;
  properties: Record<string, unknown>;
}

/**
 * CSV injection (OWASP): a spreadsheet runs a cell that begins with =, +, -, @, a tab or a carriage return as a
 * formula (`=HYPERLINK(…)`, `+cmd|…`, `@SUM(…)`). Such a text cell is written with a leading single quote, which a
 * spreadsheet reads as "text". So that the quote can be taken off again without doubt (the API's own CSV import does),
 * a cell that already begins with quotes followed by one of those characters gets one more. Numbers and booleans
 * are written as they are (a negative coordinate stays a number); JSON, NDJSON and GeoJSON are never touched.
 */
const FORMULA_LIKE = /^'*[=+\-@\t\r]/;

export function neutraliseCell<T>(value: T): T | string {
  return typeof value === 'string' && FORMULA_LIKE.test(value) ? `'${value}` : value;
}

/** A cell as it was before `neutraliseCell`: one leading quote taken off where it added one. */
export function restoreCell(value: string): string {
  return value.startsWith("'") && FORMULA_LIKE.test(value.slice(1)) ? value.slice(1) : value;
}

/**
 * What a CSV response does with formula-like cells: neutralises them (the default), or, with `csv_raw=true`,
 * writes them as stored, for tools that want the raw text. `csv_raw` with another format is refused, not ignored.
 */
export function csvRawOf(format: Format, csvRaw: boolean | undefined): boolean {
  if (csvRaw !== undefined && format !== 'csv') {
    throw new AppError('invalid', 'validation', 'csv_raw applies to CSV only.', {
      title: 'Invalid request',
      errors: [{ path: 'query.csv_raw', message: `applies to format=csv only, not ${format}` }],
    });
  }
  return csvRaw ?? false;
}

/** The format, fields and HXL query parameters of lists and exports. */
export const formatQueryFields = (fieldNames: readonly [string, ...string[]], geo: boolean) => ({
  format: z
    .enum(geo ? FORMATS : (['json', 'ndjson', 'csv'] as const))
    .optional()
    .describe('Response format; overrides Accept. json (default), ndjson, csv' + (geo ? ', geojson' : '')),
  fields: queryList(z.enum(fieldNames))
    .optional()
    .describe('Only these fields, comma-separated (id is always included)'),
  hxl: queryBoolean.optional().describe('With csv: add a row of HXL hashtags under the header'),
  csv_raw: queryBoolean
    .optional()
    .describe(
      'With csv: true writes cells as stored. By default a text cell beginning with =, +, -, @, tab or carriage return gets a leading single quote, so that a spreadsheet does not run it as a formula',
    ),
});

/**
 * The format of a response: `format=` wins, then the first type in Accept this API speaks (by q-value);
 * an Accept naming none of them is 406.
 */
export function chooseFormat(request: FastifyRequest, allowed: readonly Format[], explicit?: Format): Format {
  if (explicit) return explicit;
  const accept = request.headers.accept;
  if (!accept) return 'json';
  const ranges = accept
    .split(',')
    .map((part, index) => {
      const [type = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type.trim(), q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const range of ranges) {
    const format = ALIASES[range.type];
    if (format && allowed.includes(format)) return format;
  }
  throw new AppError(
    'not-acceptable',
    'not-acceptable',
    `None of the media types in Accept is available here; use one of ${allowed.map((f) => MEDIA_TYPES[f]).join(', ')} (or format=).`,
  );
}

export function pickFields<T extends object>(item: T, fields: readonly string[] | undefined): Partial<T> {
  if (!fields?.length) return item;
  const picked: Record<string, unknown> = { id: (item as Record<string, unknown>).id };
  for (const field of fields) picked[field] = (item as Record<string, unknown>)[field];
  return picked as Partial<T>;
}

export function csvColumns<T>(representations: Representations<T>, fields: readonly string[] | undefined) {
  if (!fields?.length) return representations.csv;
  // A field selects the columns it is flattened into (casualties → killed_low, killed_best, …).
  return representations.csv.filter(
    (c) => c.name === 'id' || fields.some((f) => c.name === f || csvGroup(c.name) === f),
  );
}

// Booleans as words; csv-stringify would write false as an empty cell, indistinguishable from null.
const CSV_OPTIONS = { cast: { boolean: (value: boolean) => (value ? 'true' : 'false') } };

const csvGroup = (column: string) =>
  /^(killed|killed_civilians|killed_combatants|injured|detained|missing)_(low|best|high)$/.test(column)
    ? 'casualties'
    : column;

/** The CSV header (and HXL row) for a format. */
export function csvHead<T>(
  representations: Representations<T>,
  fields: readonly string[] | undefined,
  hxl: boolean,
) {
  const columns = csvColumns(representations, fields);
  const rows: string[][] = [columns.map((c) => c.name)];
  if (hxl) rows.push(columns.map((c) => c.hxl));
  return stringify(rows, CSV_OPTIONS);
}

/**
 * CSV rows from cells already written as text (null for an empty cell), e.g. by the database; formula-like cells
 * are neutralised unless `raw`.
 */
export function csvTextRows(rows: unknown[][], raw = false) {
  return stringify(
    rows.map((row) => row.map((cell) => (raw ? cell : neutraliseCell(cell)) ?? '')),
    CSV_OPTIONS,
  );
}

/** CSV rows of records; formula-like cells are neutralised unless `raw`. */
export function csvRows<T>(
  representations: Representations<T>,
  fields: readonly string[] | undefined,
  items: T[],
  raw = false,
) {
  const columns = csvColumns(representations, fields);
  return stringify(
    items.map((item) =>
      columns.map((c) => {
        const value = c.value(item);
        return (raw ? value : neutraliseCell(value)) ?? '';
      }),
    ),
    CSV_OPTIONS,
  );
}

export function featureOf<T>(
  representations: Representations<T>,
  fields: readonly string[] | undefined,
  item: T,
) {
  const feature = representations.feature!(item);
  return fields?.length ? { ...feature, properties: pickFields(feature.properties, fields) } : feature;
}

/** A schema showing this example in the OpenAPI document (unchanged when there is none). */
export const withExample = <S extends z.ZodType>(schema: S, example: unknown): S =>
  example === undefined ? schema : (schema.meta({ examples: [example] }) as S);

/** The example record a schema carries (`.meta({ examples })`), if any. */
export const exampleOf = <T>(schema: z.ZodType): T | undefined =>
  (z.globalRegistry.get(schema)?.examples as T[] | undefined)?.[0];

/** A list or export of one example record in each format but JSON, for the OpenAPI document. */
export function formatExamples<T extends object>(representations: Representations<T>, item: T | undefined) {
  if (item === undefined) return { ndjson: undefined, csv: undefined, geojson: undefined };
  return {
    ndjson: `${JSON.stringify(item)}\n`,
    csv: csvHead(representations, undefined, false) + csvRows(representations, undefined, [item]),
    geojson: representations.feature
      ? { type: 'FeatureCollection', features: [representations.feature(item)], next_cursor: null }
      : undefined,
  };
}

/**
 * Sends one page of a list in the chosen format. JSON keeps the `{data, next_cursor}` envelope; the others
 * carry the next page only in the Link header (GeoJSON also as a foreign member, `next_cursor`).
 */
export function sendFormattedPage<T extends object>(
  reply: FastifyReply,
  format: Format,
  representations: Representations<T>,
  page: { data: T[]; next_cursor: string | null; total?: number },
  options: {
    fields?: readonly string[] | undefined;
    hxl?: boolean | undefined;
    csvRaw?: boolean | undefined;
  },
) {
  const { fields, hxl = false } = options;
  const raw = csvRawOf(format, options.csvRaw);
  switch (format) {
    case 'json':
      if (!fields?.length) return page;
      // A sparse record is not the documented whole, so it bypasses the response schema.
      return reply
        .type(MEDIA_TYPES.json)
        .serializer(JSON.stringify)
        .send({ ...page, data: page.data.map((d) => pickFields(d, fields)) });
    case 'ndjson':
      return reply
        .type(`${MEDIA_TYPES.ndjson}; charset=utf-8`)
        .send(page.data.map((d) => `${JSON.stringify(pickFields(d, fields))}\n`).join(''));
    case 'csv':
      return reply
        .type(`${MEDIA_TYPES.csv}; charset=utf-8`)
        .send(csvHead(representations, fields, hxl) + csvRows(representations, fields, page.data, raw));
    case 'geojson':
      return reply
        .type(MEDIA_TYPES.geojson)
        .serializer(JSON.stringify)
        .send({
          type: 'FeatureCollection',
          features: page.data.map((d) => featureOf(representations, fields, d)),
          next_cursor: page.next_cursor,
          ...(page.total !== undefined ? { total: page.total } : {}),
        });
  }
}
