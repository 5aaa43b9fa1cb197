import type { PinoLogger } from 'nestjs-pino';

type Fields = Record<string, string>;

/**
 * Structured fields (`request_id`, `image_id`) for the log lines written while some work runs, so code keeps
 * Nest's `Logger` API and its lines still carry the ids. Static, so callers need no extra injection: the
 * LoggingModule binds it to nestjs-pino at start; unbound (unit tests, the test app's console logger) it
 * only runs the work.
 */
export class LogContext {
  private static logger?: PinoLogger;

  static bind(logger: PinoLogger | undefined): void {
    LogContext.logger = logger;
  }

  /**
   * Runs background work in a fresh logging context whose lines carry `fields`, and nothing of the HTTP
   * request (or image) that happened to set the work in motion.
   */
  static run<T>(fields: Fields, work: () => T): T {
    return LogContext.logger ? LogContext.logger.runInContext(work, { bindings: fields }) : work();
  }

  /** Adds fields to the rest of the current HTTP request's lines, its final "request completed" line included. */
  static assign(fields: Fields): void {
    try {
      LogContext.logger?.assign(fields);
    } catch {
      // outside an HTTP request: there is no context to add them to
    }
  }
}
