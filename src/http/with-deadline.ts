import { FetchError } from './fetch-error.js';

/** The reason a finished request's signal is aborted with (releasing whatever still listens to it). */
const RELEASED = new Error('request finished');

/**
 * Runs `work` with a signal that aborts after `ms`: one deadline for connecting, headers and body
 * together. Errors come out as FetchErrors (a bug's error as it is).
 */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ms);
  try {
    return await work(controller.signal);
  } catch (error) {
    if (error instanceof FetchError) throw error;
    if (timedOut) throw FetchError.timeout(ms);
    throw toFetchError(error);
  } finally {
    clearTimeout(timer);
    // Whatever is still attached to this request (nothing, normally) is released. With a reason
    // made once: abort() without one builds a DOMException, and its stack, for every request.
    controller.abort(RELEASED);
  }
}

/** Maps a network error (perhaps wrapped by Node) to a FetchError; other errors pass unchanged. */
function toFetchError(error: unknown): unknown {
  const chain = causes(error);
  const blocked = chain.find((e) => e instanceof FetchError);
  if (blocked) return blocked;

  // errno codes (ECONNREFUSED…), HTTP parser errors (HPE_…), a body cut short.
  const errno = chain.find(
    (e) => typeof e.code === 'string' && /^(E[A-Z]+|HPE_[A-Z_]+|ERR_STREAM_PREMATURE_CLOSE)$/.test(e.code),
  );
  // Not a network failure (a bug, a bad option): leave it as it is.
  if (!errno) return error;
  // The host name is on whichever error of the chain the resolver made.
  const named = chain.find((e) => typeof e.hostname === 'string')?.hostname;
  const host = typeof named === 'string' ? named : 'host';
  switch (errno.code) {
    case 'ENOTFOUND':
      return new FetchError('dns_failed', `${host} not found`, false);
    case 'EAI_AGAIN': // a temporary resolver failure, unlike ENOTFOUND
      return new FetchError('dns_failed', `could not resolve ${host} (EAI_AGAIN)`, true);
    case 'ETIMEDOUT':
      return new FetchError('timeout', 'connection timed out', true);
    default:
      return new FetchError('connection_failed', `connection failed (${String(errno.code)})`, true);
  }
}

type ErrorLike = Error & { code?: unknown; hostname?: unknown };

/** The error, its `cause`s and the members of AggregateErrors (Node's happy eyeballs). */
export function causes(error: unknown, seen = new Set<unknown>()): ErrorLike[] {
  if (!(error instanceof Error) || seen.has(error)) return [];
  seen.add(error);
  const nested = error instanceof AggregateError ? error.errors : [];
  return [error, ...causes(error.cause, seen), ...nested.flatMap((e) => causes(e, seen))];
}
