import type { FieldError } from '../../core/errors';

/** Reading CSV cells: blank is null, and a value that cannot be read is an error naming its column. */

export const textCell = (value: string | undefined): string | null => {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
};

/** A list in one cell, e.g. "SOHR; Step News Agency": trimmed, blanks and repeats dropped, order kept. */
export const listCell = (value: string | undefined, separator = ';'): string[] => [
  ...new Set(
    (value ?? '')
      .split(separator)
      .map((s) => s.trim())
      .filter(Boolean),
  ),
];

export function integerCell(value: string | undefined, column: string, errors: FieldError[]): number | null {
  const text = textCell(value);
  if (text === null) return null;
  // Some exports write whole numbers with a decimal part of zero.
  if (!/^[+-]?\d+(\.0+)?$/.test(text)) {
    errors.push({ path: column, message: 'must be a whole number' });
    return null;
  }
  return Number(text);
}

export function decimalCell(value: string | undefined, column: string, errors: FieldError[]): number | null {
  const text = textCell(value);
  if (text === null) return null;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    errors.push({ path: column, message: 'must be a decimal number' });
    return null;
  }
  return Number(text);
}

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/**
 * A date as YYYY-MM-DD (a time after it is ignored, as in "2017-03-02 00:00:00.000") or as ACLED's older
 * "15 March 2024". The calendar check (no 30 February) is the API schema's.
 */
export function dateCell(value: string | undefined, column: string, errors: FieldError[]): string | null {
  const text = textCell(value);
  if (text === null) return null;
  const iso = /^(\d{4}-\d{2}-\d{2})(?:[T ][\d:.]+Z?)?$/.exec(text);
  if (iso) return iso[1]!;
  const written = /^(\d{1,2})[ -]([A-Za-z]+)[ -](\d{4})$/.exec(text);
  const month = written ? MONTHS.indexOf(written[2]!.toLowerCase()) : -1;
  if (written && month >= 0) {
    return `${written[3]}-${String(month + 1).padStart(2, '0')}-${written[1]!.padStart(2, '0')}`;
  }
  errors.push({ path: column, message: 'must be a date: YYYY-MM-DD or e.g. 15 March 2024' });
  return null;
}

/** A code from a small table, e.g. time_precision 1, 2 or 3; blank is null. */
export function codeCell<T>(
  value: string | undefined,
  column: string,
  table: Record<string, T>,
  errors: FieldError[],
): T | null {
  const text = textCell(value);
  if (text === null) return null;
  const code = table[text];
  if (code === undefined) {
    errors.push({ path: column, message: `must be one of ${Object.keys(table).join(', ')}` });
    return null;
  }
  return code;
}

/**
 * A free-text label made into a tag the API accepts: characters outside letters, digits, `_ : . -` and space
 * become spaces ("crowd size=no report" → "crowd size no report"), and it starts with a letter or digit.
 */
export function asTag(label: string): string | null {
  const tag = label
    .replace(/[^\p{L}\p{N}_:.\- ]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[^\p{L}\p{N}]+/u, '')
    .trim()
    .slice(0, 100)
    .trim();
  return tag === '' ? null : tag;
}
