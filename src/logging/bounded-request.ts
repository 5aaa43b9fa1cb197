import type { SerializedRequest } from 'pino';
import { redactQueryObject } from './query-redaction.js';
import type { SecretScrubber } from './secret-scrubber.js';

/** Longest header value written; a client can send kilobytes per header, the log keeps a head and the size. */
const MAX_HEADER_CHARS = 200;

/** Headers whose value is a URL, which may carry a credential in its query. */
const URL_HEADERS = new Set(['referer', 'origin']);

/**
 * The request as pino-http serialized it, with credentials taken out of its URL, query and URL-valued
 * headers (`?api_key=…` sent by mistake), and oversized header values cut (redact paths still apply after).
 */
export function boundedRequest(req: SerializedRequest, scrubber: SecretScrubber): SerializedRequest {
  const headers: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(req.headers ?? {})) {
    const value = typeof raw === 'string' && URL_HEADERS.has(name) ? scrubber.scrub(raw) : raw;
    headers[name] =
      typeof value === 'string' && value.length > MAX_HEADER_CHARS
        ? `${value.slice(0, MAX_HEADER_CHARS)}… (${value.length} characters)`
        : value;
  }
  return Object.assign(req, {
    url: typeof req.url === 'string' ? scrubber.scrub(req.url) : req.url,
    query: redactQueryObject(req.query),
    headers,
  });
}
