import type { ErrorObject } from 'ajv/dist/2020';
import { isJsonMediaType, mediaTypeOf, type Operation, type SchemaValidators } from './contract';
import type { Answer } from './wire';

/** Takes the schema errors a known defect explains out of a list, and returns the rest. */
export type Excuse = (errors: ErrorObject[]) => ErrorObject[];

/** What the checks need to know of the request an answer is to. */
export interface Asked {
  requestId: string;
  contentType: string | undefined;
  body: string | Buffer | undefined;
  /** The `fields` asked for, when a read asks for sparse records. */
  fields: string[] | undefined;
}

/** Internal detail that must never reach a client: stack frames, file paths, SQL, PostgreSQL's messages. */
const LEAKS = [
  /at .*\.(ts|js):\d+/,
  /node_modules/,
  /\/(src|dist)\/[\w/.-]+\.(ts|js)\b/,
  /SELECT /,
  /INSERT /,
  /UPDATE \w+ SET/,
  /syntax error/,
  /violates/,
  /relation "/,
  /duplicate key value/,
  /invalid input syntax/,
  /"stack"/,
];

/** Where a record sits in a JSON answer: the body itself, a page's data, an export's array, a GeoJSON feature. */
const RECORD = /^(|\/data\/\d+|\/\d+|\/features\/\d+\/properties)$/;

/**
 * Holds an answer to the document: no 5xx, a documented status, the request id echoed, a documented media type
 * and a body valid under its schema (a sparse read may leave out the fields it did not ask for), and for every
 * failure an RFC 9457 problem whose status is the HTTP status and which discloses nothing internal. Returns
 * what is wrong, nothing when all holds; schema errors `excuse` explains are left out.
 */
export function checkAnswer(
  validators: SchemaValidators,
  operation: Operation,
  asked: Asked,
  res: Answer,
  excuse: Excuse = (errors) => errors,
): string[] {
  const problems: string[] = [];
  const { status, text } = res;
  const documented = operation.responses[String(status)];
  const mediaType = mediaTypeOf(res.headers['content-type']);
  const parse = (json: string): unknown => {
    try {
      return JSON.parse(json) as unknown;
    } catch {
      problems.push(`body is not JSON: ${json.slice(0, 80)}`);
      return undefined;
    }
  };

  if (res.brokenOff) problems.push(`the answer broke off before its end (${res.brokenOff})`);
  if (status >= 500) problems.push(`server error ${status}`);
  if (!documented) problems.push(`undocumented status ${status}`);
  // A 431 is answered before the request's headers are read, so it carries a new id instead of the one sent.
  const id = String(res.headers['x-request-id']);
  if (status === 431 ? !/^[0-9a-f-]{36}$/.test(id) : id !== asked.requestId) {
    problems.push(`x-request-id is ${id}, not the one sent`);
  }
  const content = documented?.content ?? {};

  if (status < 400) {
    problems.push(...acceptedInvalidBody(validators, operation, asked, excuse));
    if (Object.keys(content).length === 0) {
      if (text.length) problems.push(`a body on ${status}, documented without content`);
      return problems;
    }
    const media = content[mediaType];
    if (!media) {
      problems.push(`media type ${mediaType || '(none)'} is not documented for ${status}`);
    } else if (isJsonMediaType(mediaType)) {
      const body = parse(text);
      if (body !== undefined && media.schema) {
        const errors = excuse(
          validators.errors(`${operation.operationId} ${status} ${mediaType}`, media.schema, body),
        ).filter(
          (e) =>
            !(
              asked.fields &&
              e.keyword === 'required' &&
              RECORD.test(e.instancePath) &&
              !['id', ...asked.fields].includes(String(e.params.missingProperty))
            ),
        );
        if (errors.length) {
          problems.push(
            `body does not match the ${status} ${mediaType} schema: ${validators.describe(errors)}`,
          );
        }
      }
    } else if (mediaType === 'application/x-ndjson') {
      for (const line of text.split('\n').filter(Boolean)) parse(line);
    } else if (mediaType === 'text/csv' && !/^[^\n]*\bid\b[^\n]*\n/.test(text)) {
      problems.push('CSV without a header row naming id');
    }
    return problems;
  }

  if (mediaType !== 'application/problem+json') problems.push(`failure answered as ${mediaType || '(none)'}`);
  const body = parse(text) as { status?: unknown; title?: unknown } | undefined;
  if (body !== undefined) {
    const schema = content['application/problem+json']?.schema;
    if (schema) {
      const errors = excuse(validators.errors(`${operation.operationId} ${status} problem`, schema, body));
      if (errors.length) problems.push(`problem does not match its schema: ${validators.describe(errors)}`);
    }
    if (body?.status !== status) problems.push(`problem status ${String(body?.status)} on a ${status}`);
    if (typeof body?.title !== 'string') problems.push('problem without a title');
  }
  for (const leak of LEAKS) if (leak.test(text)) problems.push(`problem discloses ${leak.source}`);
  return problems;
}

/**
 * A write the server accepted must have had a body its documented schema accepts too: what it stores it answers
 * with, and clients hold data to the document. (A leading BOM is fine: RFC 8259 lets a parser skip it.)
 */
function acceptedInvalidBody(
  validators: SchemaValidators,
  operation: Operation,
  asked: Asked,
  excuse: Excuse,
): string[] {
  const content = operation.requestBody?.content ?? {};
  const mediaType = mediaTypeOf(asked.contentType);
  const media = content[mediaType] ?? content['application/json'];
  if (asked.body === undefined || !media?.schema || !isJsonMediaType(mediaType)) return [];
  let body: unknown;
  try {
    body = JSON.parse(asked.body.toString().replace(/^\uFEFF/, ''));
  } catch {
    return ['accepted a body that is not JSON'];
  }
  const errors = excuse(
    validators.errors(`${operation.operationId} request ${mediaType}`, media.schema, body),
  );
  return errors.length ? [`accepted a body its schema rejects: ${validators.describe(errors)}`] : [];
}
