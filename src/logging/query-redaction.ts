const CENSOR = '[redacted]';

/**
 * Query parameter names that carry credentials: `api_key`, `apikey`, `key`, `token`, `access_token`,
 * `secret`, `signature`, `sig`, `password`, `X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`…
 * (any case; a name that ends in one of these words after `_`, `-` or `.` counts too).
 */
const CREDENTIAL_NAME =
  /(?:^|[_.-])(?:api[_-]?key|apikey|key|token|secret|signature|sig|password|passwd|pwd|credential|auth|authorization)$/i;

/** `?name=value` or `&name=value` (`;` too) in any text: a URL, a path, a message quoting one. */
const QUERY_PARAMETER = /([?&;])([^=&#;?\s"'<>]+)=([^&#;\s"'<>]*)/g;

function isCredentialName(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // a malformed escape: judged as written
  }
  return CREDENTIAL_NAME.test(decoded);
}

/** The text with the value of every credential-like query parameter replaced by `[redacted]`. */
export function redactQueryParameters(text: string): string {
  if (!text.includes('=')) return text;
  return text.replace(QUERY_PARAMETER, (whole, separator: string, name: string) =>
    isCredentialName(name) ? `${separator}${name}=${CENSOR}` : whole,
  );
}

/** A parsed query (Express's `req.query`) with the values of credential-like parameters replaced. */
export function redactQueryObject(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  return Object.fromEntries(
    Object.entries(query).map(([name, value]) => [name, isCredentialName(name) ? CENSOR : value]),
  );
}
