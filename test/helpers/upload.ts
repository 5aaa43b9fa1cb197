import type { TestApp } from './test-app.js';

export interface UploadOptions {
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  idempotencyKey?: string;
  webhookUrl?: string;
  /** Other form fields (e.g. output options), sent before the file. */
  fields?: Record<string, string>;
  /** The CSV's file name (default products.csv). */
  fileName?: string;
}

/** POST /upload of a CSV (text or bytes): the call, for the caller to expect on. */
export function postUpload(http: TestApp['http'], csv: string | Buffer, options: UploadOptions = {}) {
  const call = http.post('/upload');
  if (options.apiKey) void call.set('Authorization', `Bearer ${options.apiKey}`);
  if (options.idempotencyKey !== undefined) void call.set('Idempotency-Key', options.idempotencyKey);
  if (options.webhookUrl) void call.field('webhook_url', options.webhookUrl);
  for (const [field, value] of Object.entries(options.fields ?? {})) void call.field(field, value);
  return call.attach('file', Buffer.from(csv), {
    filename: options.fileName ?? 'products.csv',
    contentType: 'text/csv',
  });
}

/** Uploads a CSV, expects 202 Accepted; the request's id. */
export async function upload(
  http: TestApp['http'],
  csv: string | Buffer,
  options: UploadOptions = {},
): Promise<string> {
  const { body } = await postUpload(http, csv, options).expect(202);
  return body.request_id as string;
}
