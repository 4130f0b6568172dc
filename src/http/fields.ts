import { z } from 'zod';

/** Text a client may send: bounded, no NUL (PostgreSQL cannot store it), no lone surrogates (they would be mangled). */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode');

/** Text that must say something. */
export const requiredText = (max: number) =>
  text(max).refine((s) => s.trim().length > 0, 'must not be blank');

/**
 * An absolute http(s) URI as RFC 3986 writes it (the `format: uri` the OpenAPI document promises): printable
 * ASCII only, so spaces and non-ASCII characters must be percent-encoded, and every % starts an escape.
 */
export const httpUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .max(2048)
  .refine(
    (s) => /^[\x21-\x7e]+$/.test(s) && !/%(?![0-9A-Fa-f]{2})/.test(s),
    'must be an RFC 3986 URI: percent-encode spaces and non-ASCII characters',
  );

export const countryCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 3166-1 alpha-3 code in capitals, e.g. SYR')
  .describe('ISO 3166-1 alpha-3');

export const uuid = z.uuid({ message: 'must be a UUID' });

export const idParams = z.object({ id: uuid.describe('The record id') });

/** RFC 3339 with an offset; stored and returned in UTC with millisecond precision. */
export const timestampInput = z.iso
  .datetime({ offset: true, message: 'must be an RFC 3339 date-time, e.g. 2025-03-07T12:00:00Z' })
  .refine((s) => {
    const year = new Date(s).getUTCFullYear();
    // An unparseable value has already been reported by the format check.
    return Number.isNaN(year) || (year >= 1 && year <= 9999);
  }, 'must be between years 1 and 9999');

export const dateInput = z.iso
  .date({ message: 'must be a date, YYYY-MM-DD' })
  .refine((s) => s >= '0001-01-01', 'must be between years 1 and 9999');

export const timestampOutput = z.iso.datetime();
export const dateOutput = z.iso.date();

/** The fields every resource carries. */
export const lifecycleFields = {
  created_at: timestampOutput,
  updated_at: timestampOutput,
  version: z.number().int().describe('Incremented by every change; the ETag is derived from it'),
  deleted_at: timestampOutput.nullable().describe('Set when the record was (soft-)deleted'),
};

export const iso = (d: Date) => d.toISOString();

/** The lifecycle fields of a record's representation. */
export const lifecycleOf = (r: {
  createdAt: Date;
  updatedAt: Date;
  version: number;
  deletedAt: Date | null;
}) => ({
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
  version: r.version,
  deleted_at: r.deletedAt ? r.deletedAt.toISOString() : null,
});
export const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

/** Query booleans as they appear in URLs. */
export const queryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

/** A query parameter that may be repeated or comma-separated: ?status=a,b or ?status=a&status=b. */
export const queryList = <T extends z.ZodType>(item: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s.length > 0))
    .pipe(z.array(item).max(50) as unknown as z.ZodType<z.output<T>[], string[]>);

/** Column values for the API fields present in a body: a field left out is not set, null clears. */
export function columnValues<I extends object, R>(
  input: I,
  map: readonly (readonly [keyof I, keyof R])[],
): Partial<R> {
  const values: Partial<R> = {};
  for (const [field, column] of map) {
    if (input[field] !== undefined) (values as Record<keyof R, unknown>)[column] = input[field];
  }
  return values;
}
