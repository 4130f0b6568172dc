import { Readable, Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { atLeast } from '../../http/access';
import { toProblem } from '../../http/error-handler';
import { chooseFormat } from '../../http/formats';
import { AppError } from '../../core/errors';
import { problemSchema, securedProblems } from '../../http/problems';
import { writeContext } from '../../http/request-context';
import { importCsvExample, importReportExample, incidentCreateExample } from '../demo/demo-examples';
import type { ImportService } from './import-service';
import {
  IMPORT_MEDIA_TYPES,
  importQuery,
  importReportSchema,
  type ImportFormat,
  type ImportRowReport,
  type ImportSummary,
} from './import-schemas';

const BODY_TYPES = ['text/csv', 'application/x-ndjson', 'application/ndjson'];

const mediaTypeOf = (header: string | undefined) => header?.split(';')[0]?.trim().toLowerCase() || undefined;

function tooLarge(limit: number) {
  return new AppError(
    'too-large',
    'body-too-large',
    `The file is larger than this server accepts for an import (IMPORT_BODY_LIMIT, ${limit} bytes); split it.`,
  );
}

/**
 * The body as it arrives, ending in an error once it passes the limit. Piped rather than joined with pipeline():
 * when the import stops reading early the request must stay open, so the answer can still be sent.
 */
function limited(payload: Readable, limit: number): Readable {
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > limit) callback(tooLarge(limit));
      else callback(null, chunk);
    },
  });
  payload.on('error', (err) => counter.destroy(err));
  payload.on('aborted', () => counter.destroy(new Error('the client aborted the request')));
  return payload.pipe(counter);
}

function tally(summary: ImportSummary, entries: ImportRowReport[]) {
  for (const entry of entries) {
    summary.rows++;
    summary[entry.outcome]++;
  }
}

const emptySummary = (): ImportSummary => ({ rows: 0, created: 0, updated: 0, unchanged: 0, rejected: 0 });

/** A problem that stops an import after some rows: what those rows did, since their batches stay written. */
function stoppedAfter(err: unknown, summary: ImportSummary, dryRun: boolean): unknown {
  if (!(err instanceof AppError) || summary.rows === 0) return err;
  const progress = dryRun
    ? `Nothing was written (dry run); the ${summary.rows} rows before were checked.`
    : `The ${summary.rows} rows before it were imported and stay so (${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.rejected} rejected); once the file is corrected, sending it again is safe: rows already imported are reported unchanged.`;
  return new AppError(err.kind, err.slug, `${err.message} ${progress}`, err.details);
}

export async function importRoutes(
  app: FastifyInstance,
  { service, bodyLimit }: { service: ImportService; bodyLimit: number },
) {
  // Bodies here are files, read as they arrive by the import itself; the API's JSON parsers do not apply.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(BODY_TYPES, (request, payload, done) => {
    if (Number(request.headers['content-length']) > bodyLimit) return done(tooLarge(bodyLimit), undefined);
    done(null, limited(payload, bodyLimit));
  });
  app.addContentTypeParser('*', (request, _payload, done) =>
    done(
      new AppError(
        'unsupported-media-type',
        'unsupported-media-type',
        `An import body is a text/csv or application/x-ndjson file, not ${mediaTypeOf(request.headers['content-type']) ?? 'untyped'}.`,
      ),
      undefined,
    ),
  );

  app.withTypeProvider<ZodTypeProvider>().route({
    method: 'POST',
    url: '/v1/imports',
    config: { access: 'contribute' },
    // The body is a stream the import reads itself; its schema only documents it.
    validatorCompiler: (route) =>
      route.httpPart === 'body' ? (data: unknown) => ({ value: data }) : validatorCompiler(route as never),
    schema: {
      operationId: 'importIncidents',
      tags: ['imports', 'incidents'],
      summary: 'Import incidents from a file',
      description: [
        'Reads an ACLED or UCDP GED export, or incidents as this API exports them (NDJSON or CSV), as it arrives,',
        'and upserts each row by its external ids: a new id creates an incident (with its sources and claims),',
        'a known one updates it where the file differs, and a re-import of the same file changes nothing.',
        'Rows are written in batches of 1,000, each in one transaction, and every write is in the history.',
        'A row that fails validation is rejected with its reasons and never written. The report lists every row;',
        'with Accept: application/x-ndjson it is streamed, one row per line and a summary line last.',
        'Claims from a verifier’s import are accepted (the datasets are reviewed by their publishers); from a',
        'contributor’s they stay pending.',
      ].join(' '),
      querystring: importQuery,
      consumes: ['text/csv', 'application/x-ndjson'],
      body: z
        .string()
        .describe(
          'The file: text/csv for acled_csv, ucdp_ged_csv and csv; application/x-ndjson for ndjson. At most IMPORT_BODY_LIMIT bytes.',
        )
        // One example per media type, in the order of consumes: an ACLED file, then incidents as NDJSON.
        .meta({ examples: [importCsvExample, `${JSON.stringify(incidentCreateExample)}\n`] }),
      response: {
        200: {
          description: 'What each row did',
          content: {
            'application/json': { schema: importReportSchema },
            'application/x-ndjson': {
              schema: z
                .string()
                .describe(
                  'One ImportRow per line, then {format, dry_run, summary}, with error (a Problem) if the import stopped early',
                )
                .meta({
                  examples: [
                    [
                      ...importReportExample.rows,
                      { format: 'acled_csv', dry_run: false, summary: importReportExample.summary },
                    ]
                      .map((line) => `${JSON.stringify(line)}\n`)
                      .join(''),
                  ],
                }),
            },
          },
        },
        ...securedProblems(406, 413, 415),
        415: {
          description:
            'The body is not a file of the format’s media type (text/csv or application/x-ndjson).',
          content: { 'application/problem+json': { schema: problemSchema } },
        },
      },
    },
    handler: async (request, reply) => {
      const { format, dry_run: dryRun = false } = request.query;
      const answer = chooseFormat(request, ['json', 'ndjson']);
      const body = request.body as unknown as Readable | undefined;
      const mediaType = mediaTypeOf(request.headers['content-type']);
      if (!body || !mediaType || !IMPORT_MEDIA_TYPES[format].includes(mediaType)) {
        reply.header('connection', 'close');
        throw new AppError(
          'unsupported-media-type',
          'unsupported-media-type',
          `format=${format} takes a ${IMPORT_MEDIA_TYPES[format][0]} body, not ${mediaType ?? 'none'}.`,
        );
      }
      const rows = service.run(body, {
        format,
        dryRun,
        context: writeContext(request),
        reviewer: atLeast(request.caller.role, 'verifier'),
      });
      const summary = emptySummary();
      const entries: ImportRowReport[] = [];
      try {
        // The first row (or the file's first problem) comes before anything is sent, so a file that cannot be
        // read at all gets a plain problem answer in either report format.
        const first = await rows.next();
        if (!first.done) {
          tally(summary, first.value);
          if (answer === 'ndjson')
            return streamReport(request, reply, first.value, rows, { format, dryRun, summary });
          entries.push(...first.value);
          for await (const batch of rows) {
            tally(summary, batch);
            entries.push(...batch);
          }
        }
      } catch (err) {
        // The rest of the body is not read: close the connection after answering.
        reply.header('connection', 'close');
        throw stoppedAfter(err, summary, dryRun);
      }
      if (answer === 'ndjson')
        return streamReport(request, reply, undefined, rows, { format, dryRun, summary });
      return reply.type('application/json').send({ format, dry_run: dryRun, summary, rows: entries });
    },
  });
}

/** The NDJSON report: each row as it is decided, then the summary; a later failure ends it with `error`. */
function streamReport(
  request: FastifyRequest,
  reply: FastifyReply,
  first: ImportRowReport[] | undefined,
  rows: AsyncGenerator<ImportRowReport[]>,
  report: { format: ImportFormat; dryRun: boolean; summary: ImportSummary },
) {
  const { format, dryRun, summary } = report;
  const linesOf = (batch: ImportRowReport[]) => batch.map((entry) => `${JSON.stringify(entry)}\n`).join('');
  async function* lines(): AsyncGenerator<string> {
    if (first) yield linesOf(first);
    try {
      for await (const batch of rows) {
        tally(summary, batch);
        yield linesOf(batch);
      }
      yield `${JSON.stringify({ format, dry_run: dryRun, summary })}\n`;
    } catch (err) {
      const problem = toProblem(err, String(request.id));
      if (problem.status >= 500) request.log.error({ err }, 'import failed');
      const error = { ...problem, instance: request.url.split('?')[0], request_id: String(request.id) };
      yield `${JSON.stringify({ format, dry_run: dryRun, summary, error })}\n`;
    }
  }
  return reply.type('application/x-ndjson; charset=utf-8').send(Readable.from(lines()));
}
