import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CsvError, parse } from 'csv-parse';
import { AppError, ValidationError } from '../../core/errors';
import type { MappedRow } from './import-model';
import type { CsvFormat } from './formats/csv-format';

/**
 * Reading a file as it arrives, one record at a time: memory holds a record, not the file. A record that cannot
 * be read is a rejected row; a file that cannot be read at all (no usable header, broken quoting) stops the
 * import with a problem.
 */

function headerProblem(errors: { path: string; message: string }[]) {
  return new ValidationError('The file’s header is not valid for this format.', errors);
}

function checkHeader(header: string[], format: CsvFormat) {
  const errors: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  for (const column of header) {
    if (seen.has(column)) errors.push({ path: 'body.header', message: `names column ${column} twice` });
    seen.add(column);
  }
  for (const column of format.required)
    if (!seen.has(column)) errors.push({ path: 'body.header', message: `lacks the column ${column}` });
  if (format.allowed) {
    const allowed = new Set([...format.required, ...format.allowed]);
    for (const column of header)
      if (!allowed.has(column))
        errors.push({ path: 'body.header', message: `has an unknown column ${column}` });
  }
  if (errors.length) throw headerProblem(errors);
}

/** Rows of a CSV file with a header; an HXL hashtag row under the header is skipped. */
export async function* csvRows(body: Readable, format: CsvFormat): AsyncGenerator<MappedRow> {
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true });
  // pipeline passes an error of the body (too large, aborted) on to the parser, and so to this loop.
  pipeline(body, parser, () => undefined);
  let header: string[] | undefined;
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = record.map((c) => c.trim());
        checkHeader(header, format);
        continue;
      }
      if (row === 0 && record[0]?.trim().startsWith('#')) continue;
      row++;
      if (record.length !== header.length) {
        const message = `has ${record.length} fields; the header has ${header.length}`;
        yield { rejected: { row, key: null, errors: [{ path: 'row', message }] } };
        continue;
      }
      const cells: Record<string, string> = {};
      for (let i = 0; i < header.length; i++) cells[header[i]!] = record[i]!;
      yield format.mapRow(cells, row);
    }
  } catch (err) {
    if (err instanceof CsvError) {
      throw new AppError(
        'invalid',
        'bad-request',
        `The file is not valid CSV after record ${row}: ${err.message}`,
      );
    }
    throw err;
  }
  if (!header) throw headerProblem([{ path: 'body.header', message: 'is missing: the file is empty' }]);
}

/** Lines of a text stream, without their line ends; a byte order mark at the start is dropped. */
async function* linesOf(body: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let first = true;
  for await (const chunk of body) {
    rest += decoder.write(chunk as Buffer);
    if (first && rest.length) {
      if (rest.charCodeAt(0) === 0xfeff) rest = rest.slice(1);
      first = false;
    }
    let start = 0;
    for (let end = rest.indexOf('\n'); end !== -1; end = rest.indexOf('\n', start)) {
      yield rest.slice(start, end > start && rest.charCodeAt(end - 1) === 13 ? end - 1 : end);
      start = end + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.end();
  if (rest.trim() !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/** Records of an NDJSON file, one JSON value per line; blank lines are skipped but counted. */
export async function* ndjsonRows(
  body: Readable,
  mapValue: (value: unknown, row: number) => MappedRow,
): AsyncGenerator<MappedRow> {
  let row = 0;
  for await (const line of linesOf(body)) {
    row++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      const message = `is not valid JSON: ${(err as Error).message}`;
      yield { rejected: { row, key: null, errors: [{ path: 'row', message }] } };
      continue;
    }
    yield mapValue(value, row);
  }
}
