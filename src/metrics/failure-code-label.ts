import { STATUS_CODES } from 'node:http';

/** Every failure code an image can be stored with (README, "Image failure codes"), besides `http_<status>`. */
const FAILURE_CODES = new Set([
  'timeout',
  'connection_failed',
  'dns_failed',
  'too_large',
  'too_many_redirects',
  'blocked_address',
  'invalid_url',
  'not_an_image',
  'decode_error',
  'too_many_pixels',
  'internal_error',
  'worker_crashed',
]);

/**
 * The `code` label of a failed image: a known code, `http_<status>` for a status Node knows, or `other`.
 * Bounded, so a supplier answering with odd statuses (or a new code nobody listed here) cannot add series.
 */
export function failureCodeLabel(code: string): string {
  if (FAILURE_CODES.has(code)) return code;
  const status = /^http_(\d{3})$/.exec(code)?.[1];
  if (status && STATUS_CODES[status]) return code;
  return status ? 'http_other' : 'other';
}
