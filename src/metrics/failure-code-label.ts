import { STATUS_CODES } from 'node:http';
import { IMAGE_FAILURE_CODES } from '../common/image-failure-codes.js';

/**
 * The `code` label of a failed image: a known code, `http_<status>` for a status Node knows, or `other`.
 * Bounded, so a supplier answering with odd statuses (or a new code nobody listed here) cannot add series.
 */
export function failureCodeLabel(code: string): string {
  if (Object.hasOwn(IMAGE_FAILURE_CODES, code)) return code;
  const status = /^http_(\d{3})$/.exec(code)?.[1];
  if (status && STATUS_CODES[status]) return code;
  return status ? 'http_other' : 'other';
}
