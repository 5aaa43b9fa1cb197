import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from '../../test/generated/pixelmill-api';

export type RequestSummary = components['schemas']['RequestSummary'];
export type Rendition = components['schemas']['Rendition'];
export type ImagePage = components['schemas']['ImagePage'];
export type ErrorResponse = components['schemas']['ErrorResponse'];
export type ErrorCodeCount = components['schemas']['ErrorCodeCount'];

const KEY_STORAGE = 'pixelmill.apiKey';

/** The API key the page sends, kept in the browser's storage once a person entered it. */
export const apiKey = {
  get: (): string | null => localStorage.getItem(KEY_STORAGE),
  set: (key: string) => localStorage.setItem(KEY_STORAGE, key),
  clear: () => localStorage.removeItem(KEY_STORAGE),
};

/** An answer other than 2xx, with the API's error body (its message and the rows and columns it names). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorResponse | undefined,
  ) {
    super(body?.message ?? `HTTP ${status}`);
  }
}

export function authHeaders(): Record<string, string> {
  const key = apiKey.get();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

const withKey: Middleware = {
  onRequest({ request }) {
    for (const [name, value] of Object.entries(authHeaders())) request.headers.set(name, value);
    return request;
  },
};

const client = createClient<paths>({ baseUrl: location.origin });
client.use(withKey);

/** The data of a 2xx answer, or an ApiError. */
async function data<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, error as ErrorResponse | undefined);
  return data as T;
}

const byId = (requestId: string) => ({ params: { path: { request_id: requestId } } });

export const api = {
  listRequests: (cursor?: string) =>
    data(client.GET('/requests', { params: { query: { limit: 20, cursor } } })),
  images: (
    requestId: string,
    query: { offset: number; limit: number; status?: 'failed'; error_code?: string },
  ) =>
    data(client.GET('/requests/{request_id}/images', { params: { path: { request_id: requestId }, query } })),
  errorCodes: (requestId: string) => data(client.GET('/requests/{request_id}/error-codes', byId(requestId))),
  retry: (requestId: string) => data(client.POST('/requests/{request_id}/retry', byId(requestId))),
  remove: (requestId: string) => data(client.DELETE('/requests/{request_id}', byId(requestId))),
  /** `options`: the output fields (format, quality, max_width, max_height, renditions, refresh); empty ones are left out. */
  upload: (file: File, webhookUrl: string, options: Record<string, string> = {}) => {
    const form = new FormData();
    form.append('file', file);
    if (webhookUrl) form.append('webhook_url', webhookUrl);
    for (const [field, value] of Object.entries(options)) if (value) form.append(field, value);
    return data(
      client.POST('/upload', {
        body: form as unknown as components['schemas']['UploadForm'],
        bodySerializer: (body) => body as unknown as FormData,
      }),
    );
  },
  /** The CSV export as a file named `fileName`: fetched with the key, then handed to the browser as a download. */
  async downloadCsv(requestId: string, fileName: string): Promise<void> {
    const response = await fetch(`/export-csv/${requestId}`, { headers: authHeaders() });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => undefined));
    const url = URL.createObjectURL(await response.blob());
    const link = Object.assign(document.createElement('a'), { href: url, download: fileName });
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  },
};
