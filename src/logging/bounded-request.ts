import type { SerializedRequest } from 'pino';

/** Longest header value written; a client can send kilobytes per header, the log keeps a head and the size. */
const MAX_HEADER_CHARS = 200;

/** The request as pino-http serialized it, with oversized header values cut (redaction still applies after). */
export function boundedRequest(req: SerializedRequest): SerializedRequest {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    headers[name] =
      typeof value === 'string' && value.length > MAX_HEADER_CHARS
        ? `${value.slice(0, MAX_HEADER_CHARS)}… (${value.length} characters)`
        : value;
  }
  return Object.assign(req, { headers });
}
