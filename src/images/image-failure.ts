import { FetchError } from '../http/fetch-error.js';
import { ImageError } from './image-error.js';

export interface ClassifiedFailure {
  code: string;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
  /** For the log only (see FetchError.detail). */
  detail?: string;
}

/** Turns whatever went wrong with one image into a stored code and message. */
export function classifyFailure(error: unknown): ClassifiedFailure {
  if (error instanceof FetchError) {
    return {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      retryAfterMs: error.retryAfterMs,
      detail: error.detail,
    };
  }
  if (error instanceof ImageError) return { code: error.code, message: error.message, retryable: false };
  return { code: 'internal_error', message: (error as Error)?.message ?? String(error), retryable: false };
}

/**
 * Exponential backoff with jitter for transient download failures: after attempt n, a random delay
 * between half and all of `baseMs` × 2^(n-1) (0.5–1 s, 1–2 s, 2–4 s … with the default base).
 */
export function downloadRetryDelay(attempt: number, random = Math.random, baseMs = 1000): number {
  const ceiling = baseMs * 2 ** (attempt - 1);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
