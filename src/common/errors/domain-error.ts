/** One thing wrong with what the client sent, located where it can be (a CSV row and column, a field, a header). */
export interface Problem {
  row: number | null;
  column: string | null;
  message: string;
}

/**
 * What went wrong, in the domain's words; DomainErrorFilter alone decides what each kind answers over
 * HTTP. `aborted`: the client left before it was answered (nobody to answer).
 */
export type DomainErrorKind =
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media'
  | 'unprocessable'
  | 'too_many_requests'
  | 'unavailable'
  | 'aborted';

export interface DomainErrorOptions {
  /** The problems to list; by default the message itself, for the request as a whole. */
  problems?: Problem[];
  /** Further plain fields of the answer (e.g. a request's `progress`). */
  details?: Record<string, unknown>;
  /** When to come back, for a refusal that knows. */
  retryAfterSeconds?: number;
  /** What the client is told when the message is for the log only (it may name internals). */
  publicMessage?: string;
  cause?: unknown;
}

/** A refusal or failure the domain expects and names: every service throws these, never an HTTP exception. */
export class DomainError extends Error {
  readonly problems: Problem[];
  readonly details: Record<string, unknown>;
  readonly retryAfterSeconds?: number;
  readonly publicMessage?: string;

  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    const shown = options.publicMessage ?? message;
    this.problems =
      options.problems && options.problems.length > 0
        ? options.problems
        : [{ row: null, column: null, message: shown }];
    this.details = options.details ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.publicMessage = options.publicMessage;
  }
}
