import { Readable } from 'node:stream';
import {
  csvHead,
  csvRows,
  csvTextRows,
  featureOf,
  pickFields,
  type Format,
  type Representations,
} from './formats';
import type { Page } from '../core/paging';

/** Rows are read in keyset batches of this size: memory stays flat however large the export. */
export const EXPORT_BATCH = 1000;

/**
 * Streams every record a list query selects, batch after batch, in the chosen format. The stream is pulled,
 * so a slow client slows the reads; a client that disconnects destroys it and no further batch is read.
 */
export function exportStream<T extends object, Q extends object>(
  list: (query: Q & { limit: number; cursor?: string | undefined }) => Promise<Page<T>>,
  query: Q,
  format: Format,
  representations: Representations<T>,
  options: {
    fields?: readonly string[] | undefined;
    hxl?: boolean | undefined;
    csvRaw?: boolean | undefined;
  },
): Readable {
  const { fields, hxl = false, csvRaw = false } = options;
  async function* chunks(): AsyncGenerator<string> {
    const [open, separator, close] = framing(format);
    yield format === 'csv' ? csvHead(representations, fields, hxl) : open;
    let cursor: string | undefined;
    let first = true;
    do {
      const page = await list({ ...query, limit: EXPORT_BATCH, cursor });
      if (page.data.length > 0) {
        if (format === 'csv') {
          yield csvRows(representations, fields, page.data, csvRaw);
        } else if (format === 'ndjson') {
          yield page.data.map((d) => `${JSON.stringify(pickFields(d, fields))}\n`).join('');
        } else {
          const items = page.data.map((d) =>
            JSON.stringify(
              format === 'geojson' ? featureOf(representations, fields, d) : pickFields(d, fields),
            ),
          );
          yield (first ? '' : separator) + items.join(separator);
          first = false;
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    yield close;
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** The text that opens, separates and closes the records of a format (CSV's head comes from the caller). */
function framing(format: Format): [string, string, string] {
  switch (format) {
    case 'json':
      return ['[', ',', ']\n'];
    case 'geojson':
      return ['{"type":"FeatureCollection","features":[', ',', ']}\n'];
    default:
      return ['', '', ''];
  }
}

/**
 * Streams an export whose records the database has already formatted, read in batches from a cursor: for CSV
 * each row is its cells as text, for the other formats one JSON text per row. Pulled like `exportStream`: a slow
 * client slows the reads, and a client that disconnects ends the cursor's transaction.
 */
export function cursorExportStream(
  batches: AsyncIterable<unknown[][]>,
  format: Format,
  csvHeadText: string,
  csvRaw = false,
): Readable {
  async function* chunks(): AsyncGenerator<string> {
    const [open, separator, close] = framing(format);
    yield format === 'csv' ? csvHeadText : open;
    let first = true;
    for await (const rows of batches) {
      if (format === 'csv') {
        yield csvTextRows(rows, csvRaw);
      } else if (format === 'ndjson') {
        yield rows.map((r) => `${r[0] as string}\n`).join('');
      } else {
        yield (first ? '' : separator) + rows.map((r) => r[0] as string).join(separator);
        first = false;
      }
    }
    yield close;
  }
  return Readable.from(chunks(), { objectMode: false });
}
