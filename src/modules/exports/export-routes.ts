import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { seesProtected } from '../../http/access';
import type { Readable } from 'node:stream';
import type { SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { cursorExportStream, exportStream } from '../../http/export-stream';
import type { Redaction } from '../../http/redaction';
import {
  chooseFormat,
  csvRawOf,
  exampleOf,
  formatExamples,
  withExample,
  csvColumns,
  csvHead,
  FORMATS,
  MEDIA_TYPES,
  type Format,
  type Representations,
} from '../../http/formats';
import { featureCollectionSchema } from '../../http/geojson';
import type { Page } from '../../core/paging';
import { securedProblems } from '../../http/problems';
import type { RouteDefinition } from '../../http/resource-routes';
import { claimRepresentations } from '../claims/claim-formats';
import { claimListQuery, claimSchema } from '../claims/claim-schemas';
import type { ClaimService } from '../claims/claim-service';
import { incidentExportColumns } from '../incidents/incident-export-sql';
import { incidentRepresentations } from '../incidents/incident-formats';
import { incidentExportQuery, incidentSchema } from '../incidents/incident-schemas';
import type { IncidentService } from '../incidents/incident-service';
import { sourceRepresentations } from '../sources/source-formats';
import { sourceListQuery, sourceSchema } from '../sources/source-schemas';
import type { SourceService } from '../sources/source-service';

type ExportQuery = { format?: Format; fields?: string[]; hxl?: boolean; csv_raw?: boolean };

/** An export the database formats itself: the statement for a query, format and field selection. */
type SqlExport = (
  query: Record<string, unknown> & { seesProtected: boolean },
  format: Format,
  fields: readonly string[] | undefined,
  csvColumns: readonly string[],
) => SQL;

interface ExportSpec<T extends object> {
  resourceType: 'incident' | 'claim' | 'source';
  item: z.ZodType;
  query: z.ZodType;
  list: (query: never) => Promise<Page<T>>;
  representations: Representations<T>;
  /** Where given, exports on the server are formatted by the database and read through a cursor. */
  sql?: SqlExport;
}

/** Rows per FETCH of an export's cursor. */
const CURSOR_BATCH = 500;

/** The definition of one export route; the URL is named where it is registered. */
function exportRoute<T extends object>(
  spec: ExportSpec<T>,
  redaction: Redaction,
  database: Database,
): RouteDefinition {
  const formats = spec.representations.feature ? FORMATS : FORMATS.filter((f) => f !== 'geojson');
  // The collection's name: the operation's name and tag, and the file's.
  const singular = spec.resourceType;
  const collection = `${singular}s`;
  const item = exampleOf<T>(spec.item);
  const examples = formatExamples(spec.representations, item);
  return {
    config: { access: 'read' },
    schema: {
      operationId: `export${collection[0]!.toUpperCase()}${collection.slice(1)}`,
      tags: ['exports', collection],
      summary: `Export every matching ${singular}`,
      description: `All ${collection} the filters select, with no page limit, streamed in the chosen format (format= or Accept). The same filters as the list; deleted records only with include_deleted=true.`,
      querystring: spec.query,
      response: {
        200: {
          description: `Every matching ${singular}, streamed`,
          content: {
            'application/json': {
              schema: withExample(z.array(spec.item), item === undefined ? undefined : [item]),
            },
            'application/x-ndjson': {
              schema: withExample(z.string().describe(`One ${singular} per line`), examples.ndjson),
            },
            'text/csv': {
              schema: withExample(
                z.string().describe('A header row (and an HXL row with hxl=true), then one row per record'),
                examples.csv,
              ),
            },
            ...(spec.representations.feature
              ? {
                  'application/geo+json': {
                    schema: withExample(
                      featureCollectionSchema(spec.item),
                      examples.geojson && {
                        type: examples.geojson.type,
                        features: examples.geojson.features,
                      },
                    ),
                  },
                }
              : {}),
          },
        },
        ...securedProblems(406),
      },
    },
    handler: async (request, reply) => {
      const query = request.query as ExportQuery & Record<string, unknown>;
      const format = chooseFormat(request, formats, query.format);
      const { format: _format, fields, hxl, csv_raw: csvRawGiven, ...filters } = query;
      const csvRaw = csvRawOf(format, csvRawGiven);
      const extension = { json: 'json', ndjson: 'ndjson', csv: 'csv', geojson: 'geojson' }[format];
      const redactor = await redaction(request, spec.resourceType);
      const viewer = { seesProtected: seesProtected(request) };
      const send = (stream: Readable) =>
        reply
          .type(
            format === 'geojson' || format === 'json'
              ? MEDIA_TYPES[format]
              : `${MEDIA_TYPES[format]}; charset=utf-8`,
          )
          .header('content-disposition', `attachment; filename="${collection}.${extension}"`)
          .send(stream);
      if (spec.sql && database.readCursor) {
        const columns = csvColumns(spec.representations, fields).map((c) => c.name);
        const statement = spec.sql({ ...filters, ...viewer }, format, fields, columns);
        const head = format === 'csv' ? csvHead(spec.representations, fields, hxl ?? false) : '';
        return send(cursorExportStream(database.readCursor(statement, CURSOR_BATCH), format, head, csvRaw));
      }
      const list = spec.list as (query: object) => Promise<Page<T>>;
      // Each batch is redacted for this viewer before it is written.
      const read = async (query: object) => {
        const page = await list({ ...query, ...viewer });
        return redactor
          ? { ...page, data: page.data.map((d) => redactor.record(spec.resourceType, d)) }
          : page;
      };
      return send(exportStream(read, filters, format, spec.representations, { fields, hxl, csvRaw }));
    },
  };
}

/** GET /v1/export/{incidents,claims,sources}: the list filters without a page limit, streamed. */
export async function exportRoutes(
  app: FastifyInstance,
  {
    redaction,
    database,
    ...services
  }: {
    incidents: IncidentService;
    claims: ClaimService;
    sources: SourceService;
    redaction: Redaction;
    database: Database;
  },
) {
  app.route({
    method: 'GET',
    url: '/v1/export/incidents',
    ...exportRoute(
      {
        resourceType: 'incident',
        item: incidentSchema,
        query: incidentExportQuery,
        list: services.incidents.list as never,
        representations: incidentRepresentations,
        sql: (query, format, fields, csvColumns) =>
          services.incidents.exportQuery(
            query as Parameters<IncidentService['exportQuery']>[0],
            incidentExportColumns(format, fields, csvColumns, query.seesProtected),
          ),
      },
      redaction,
      database,
    ),
  });
  app.route({
    method: 'GET',
    url: '/v1/export/claims',
    ...exportRoute(
      {
        resourceType: 'claim',
        item: claimSchema,
        query: claimListQuery.omit({ limit: true, cursor: true, count: true }),
        list: services.claims.list as never,
        representations: claimRepresentations,
      },
      redaction,
      database,
    ),
  });
  app.route({
    method: 'GET',
    url: '/v1/export/sources',
    ...exportRoute(
      {
        resourceType: 'source',
        item: sourceSchema,
        query: sourceListQuery.omit({ limit: true, cursor: true, count: true }),
        list: services.sources.list as never,
        representations: sourceRepresentations,
      },
      redaction,
      database,
    ),
  });
}
