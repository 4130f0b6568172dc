import { z } from 'zod';
import { queryBoolean, uuid } from '../../http/fields';
import { problemSchema } from '../../http/problems';
import { externalIdSchema } from '../incidents/incident-schemas';
import { importReportExample } from '../demo/demo-examples';

export const IMPORT_FORMATS = ['acled_csv', 'ucdp_ged_csv', 'ndjson', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The media type each format's body must have. */
export const IMPORT_MEDIA_TYPES: Record<ImportFormat, readonly string[]> = {
  acled_csv: ['text/csv'],
  ucdp_ged_csv: ['text/csv'],
  csv: ['text/csv'],
  ndjson: ['application/x-ndjson', 'application/ndjson'],
};

export const importQuery = z.object({
  format: z
    .enum(IMPORT_FORMATS)
    .describe(
      'acled_csv: an ACLED export; ucdp_ged_csv: a UCDP GED export; ndjson or csv: incidents as this API exports them',
    ),
  dry_run: queryBoolean
    .optional()
    .describe('true: validate and classify every row, report, and write nothing'),
});

export const IMPORT_OUTCOMES = ['created', 'updated', 'unchanged', 'rejected'] as const;
export type ImportOutcome = (typeof IMPORT_OUTCOMES)[number];

export const importRowSchema = z
  .object({
    row: z
      .number()
      .int()
      .describe(
        'The record’s number in the file: 1 is the first record after the CSV header, or the first line',
      ),
    external_id: externalIdSchema
      .nullable()
      .describe('The external id the row is matched by; null when the row has none'),
    outcome: z
      .enum(IMPORT_OUTCOMES)
      .describe(
        'created; updated; unchanged (the record already says this: nothing written); rejected (nothing written, see errors)',
      ),
    incident_id: uuid
      .nullable()
      .describe('The incident created, updated or matched; null when rejected, or created by a dry run'),
    errors: z
      .array(
        z.object({
          path: z.string().describe('The column (or field) at fault, e.g. event_date'),
          message: z.string(),
        }),
      )
      .optional()
      .describe('Why the row was rejected'),
  })
  .meta({ id: 'ImportRow' });

export const importSummarySchema = z
  .object({
    rows: z.number().int().describe('Records read'),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    rejected: z.number().int(),
  })
  .meta({ id: 'ImportSummary' });

export const importReportSchema = z
  .object({
    format: z.enum(IMPORT_FORMATS),
    dry_run: z.boolean(),
    summary: importSummarySchema,
    rows: z.array(importRowSchema).describe('One entry per record, in file order'),
  })
  .meta({ id: 'ImportReport', examples: [importReportExample] });

/** The last line of a streamed (NDJSON) report; `error` says why the import stopped early, if it did. */
export const importSummaryLineSchema = z.object({
  format: z.enum(IMPORT_FORMATS),
  dry_run: z.boolean(),
  summary: importSummarySchema,
  error: problemSchema.optional(),
});

export type ImportRowReport = z.output<typeof importRowSchema>;
export type ImportSummary = z.output<typeof importSummarySchema>;
export type ImportQuery = z.output<typeof importQuery>;
