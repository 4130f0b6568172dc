/**
 * The failures a client can act on. They name what went wrong in the domain's terms (a kind, and a problem type
 * slug that the README documents); they know nothing of HTTP. `src/http/problems.ts` renders each kind as an
 * RFC 9457 problem with its status code.
 */

/** One invalid input: where it is (e.g. body.killed, query.limit) and what is wrong with it. */
export type FieldError = { path: string; message: string };

export type ErrorKind =
  /** The request is malformed or fails validation. */
  | 'invalid'
  /** No credentials, or credentials that are unknown or revoked, where some are needed. */
  | 'unauthenticated'
  /** The caller's role is below what the action needs. */
  | 'forbidden'
  | 'not-found'
  /** None of the representations the caller accepts is available. */
  | 'not-acceptable'
  /** The change conflicts with a data rule or with records that depend on this one. */
  | 'conflict'
  /** The caller's precondition (If-Match) names a version that is no longer current. */
  | 'precondition-failed'
  /** The input is larger than the server accepts. */
  | 'too-large'
  /** The input is in a media type the action does not read. */
  | 'unsupported-media-type'
  /** Well-formed input that cannot be applied, e.g. a reference to a record that does not exist. */
  | 'unprocessable'
  /** The database (or the server) cannot serve right now. */
  | 'unavailable';

export interface ErrorDetails {
  errors?: FieldError[];
  /** The data rule that was violated, for conflicts. */
  constraint?: string;
  /** A title more specific than the kind's. */
  title?: string;
  cause?: unknown;
}

/** A failure the client can act on; `slug` names its problem type. */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly slug: string,
    detail: string,
    readonly details: ErrorDetails = {},
  ) {
    super(detail, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'AppError';
  }
}

/** Invalid input, each problem listed with where it is. */
export class ValidationError extends AppError {
  constructor(detail: string, errors: FieldError[], slug = 'validation') {
    super('invalid', slug, detail, { title: 'Invalid request', errors });
  }
}

export class NotFoundError extends AppError {
  constructor(resource: string, id: string) {
    super('not-found', 'not-found', `No ${resource} with id ${id}.`);
  }
}

export class ConflictError extends AppError {
  constructor(detail: string, constraint?: string) {
    super('conflict', 'conflict', detail, constraint ? { constraint } : {});
  }
}

/** An If-Match precondition that no longer holds: someone changed the record since the client read it. */
export class PreconditionFailedError extends AppError {
  constructor(resource: string, id: string, currentVersion: number) {
    super(
      'precondition-failed',
      'precondition-failed',
      `The ${resource} ${id} has changed since it was read: its current version is ${currentVersion} (ETag "${currentVersion}"). Read it again and reapply the change.`,
    );
  }
}

/** Well-formed input that cannot be applied, e.g. a reference to a record that does not exist. */
export class UnprocessableError extends AppError {
  constructor(detail: string, errors: FieldError[] = []) {
    super('unprocessable', 'unprocessable', detail, errors.length ? { errors } : {});
  }
}
