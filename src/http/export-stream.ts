import { Readable } from 'node:stream';
import { csvHead, csvRows, featureOf, pickFields, type Format, type Representations } from './formats';
import type { Page } from './pagination';

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
  options: { fields?: readonly string[] | undefined; hxl?: boolean | undefined },
): Readable {
  const { fields, hxl = false } = options;
  async function* chunks(): AsyncGenerator<string> {
    const [open, separator, close] =
      format === 'json'
        ? ['[', ',', ']\n']
        : format === 'geojson'
          ? ['{"type":"FeatureCollection","features":[', ',', ']}\n']
          : format === 'csv'
            ? [csvHead(representations, fields, hxl), '', '']
            : ['', '', ''];
    yield open;
    let cursor: string | undefined;
    let first = true;
    do {
      const page = await list({ ...query, limit: EXPORT_BATCH, cursor });
      if (page.data.length > 0) {
        if (format === 'csv') {
          yield csvRows(representations, fields, page.data);
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
