import dns from 'node:dns';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { fakeDns } from '../../test/helpers/fake-dns.js';
import { loopbackOnly } from '../../test/helpers/loopback-only.js';
import { closeServer, freePort, listenOnLoopback } from '../../test/helpers/loopback-server.js';
import { loadConfig } from '../config/app-config.js';
import type { LookupAllFunction } from './address-policy.js';
import { FetchError } from './fetch-error.js';
import { GuardedAgents } from './guarded-agents.js';
import { type DownloadResult, SafeHttpClient } from './safe-http-client.js';

// Everything here talks to a server on 127.0.0.1 only. Private, link-local and metadata ranges
// are covered without traffic in address-policy.spec.ts.

interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the server knows about a response it was streaming when the connection closed. */
interface StreamedResponse {
  path: string;
  bytesSent: number;
  completed: boolean;
}

const LIMIT = 1000;
const LAST_MODIFIED = 'Wed, 21 Oct 2026 07:28:00 GMT';
const seen: SeenRequest[] = [];
const streamed: StreamedResponse[] = [];
let server: Server;
let base: string;
let port: number;

/**
 * Writes `total` bytes in `chunk`-byte pieces every `everyMs` (the first after `delayMs` more),
 * noting how far it got before the connection closed.
 */
function stream(
  path: string,
  res: ServerResponse,
  total: number,
  chunk: number,
  everyMs: number,
  delayMs = 0,
) {
  const record: StreamedResponse = { path, bytesSent: 0, completed: false };
  let timer: NodeJS.Timeout | undefined;
  const start = setTimeout(() => (timer = setInterval(write, everyMs)), delayMs);
  const write = () => {
    if (res.destroyed) return;
    const size = Math.min(chunk, total - record.bytesSent);
    res.write(Buffer.alloc(size, 0x61));
    record.bytesSent += size;
    if (record.bytesSent >= total) {
      clearInterval(timer);
      res.end(() => (record.completed = true));
    }
  };
  res.on('close', () => {
    clearTimeout(start);
    clearInterval(timer);
    streamed.push(record);
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const record: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: '',
    };
    seen.push(record);
    req.on('data', (chunk: Buffer) => (record.body += chunk.toString()));

    const [, route, arg] = url.pathname.split('/');
    switch (route) {
      case 'ok':
        res.writeHead(200, { 'Content-Type': 'image/png' }).end('image bytes');
        return;
      case 'status': {
        const retryAfter = url.searchParams.get('retryAfter');
        res.writeHead(Number(arg), retryAfter ? { 'Retry-After': retryAfter } : {}).end('status body');
        return;
      }
      case 'redirect': {
        // /redirect/N answers N more (relative) redirects, then 200.
        const left = Number(arg);
        if (left > 0) res.writeHead(302, { Location: `/redirect/${left - 1}` }).end();
        else res.writeHead(200).end('landed');
        return;
      }
      case 'validated': {
        // /validated/<etag>: a body with that ETag and a fixed Last-Modified; 304 to a request that
        // names either (?body=1 answers 304 with a body anyway: the client must not read it).
        const etag = `"${arg}"`;
        const fresh =
          req.headers['if-none-match'] === etag || req.headers['if-modified-since'] === LAST_MODIFIED;
        if (fresh && url.searchParams.has('bare')) res.writeHead(304).end();
        else if (fresh) res.writeHead(304, { ETag: etag, 'Last-Modified': LAST_MODIFIED }).end();
        else res.writeHead(200, { ETag: etag, 'Last-Modified': LAST_MODIFIED }).end(`version ${arg}`);
        return;
      }
      case 'long-validators':
        res.writeHead(200, { ETag: `"${'e'.repeat(600)}"`, 'Last-Modified': LAST_MODIFIED }).end('x');
        return;
      case 'redirect-to':
        res.writeHead(302, { Location: url.searchParams.get('to') ?? '/' }).end();
        return;
      case 'declared-large': // honest Content-Length over the limit; the body starts 300 ms later
        res.writeHead(200, { 'Content-Length': 5000 }).flushHeaders();
        stream(route, res, 5000, 100, 20, 300);
        return;
      case 'chunked-large': // no Content-Length at all
        res.writeHead(200).flushHeaders();
        stream(route, res, 5000, 300, 10);
        return;
      case 'trickle': // headers at once, then 1 byte every 200 ms for 20 s
        res.writeHead(200, { 'Content-Type': 'image/png' }).flushHeaders();
        stream(route, res, 100, 1, 200);
        return;
      case 'lying-length': // Content-Length says 500, then 5000 bytes come
        req.socket.end(
          'HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 500\r\nConnection: close\r\n\r\n' +
            'x'.repeat(5000),
        );
        return;
      case 'gzip': {
        const body = gzipSync(arg === 'bomb' ? Buffer.alloc(100_000) : Buffer.from('hello gzip'));
        res
          .writeHead(200, {
            'Content-Encoding': 'gzip',
            'Content-Length': body.length,
          })
          .end(body);
        return;
      }
      case 'corrupt': // /corrupt/<gzip|br|deflate>: the declared encoding, then bytes that are not in it
        res
          .writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Encoding': arg })
          .end(Buffer.from('this is not compressed data at all, just text'));
        return;
      default:
        res.writeHead(404).end();
    }
  });
  ({ port, base } = await listenOnLoopback(server));
});

afterAll(() => closeServer(server));

const agents: GuardedAgents[] = [];

beforeEach(() => {
  seen.length = 0;
  streamed.length = 0;
});

afterEach(() => {
  for (const used of agents.splice(0)) used.onApplicationShutdown();
});

function makeClient(env: Record<string, string> = {}, lookup?: LookupAllFunction): SafeHttpClient {
  const config = loadConfig({
    ALLOW_PRIVATE_URLS: 'true',
    MAX_IMAGE_BYTES: String(LIMIT),
    DOWNLOAD_TIMEOUT_MS: '1000',
    MAX_REDIRECTS: '2',
    ...env,
  });
  const guarded = new GuardedAgents(config, lookup ?? dns.lookup);
  loopbackOnly(guarded.http, guarded.https);
  agents.push(guarded);
  return new SafeHttpClient(config, guarded);
}

async function failure(promise: Promise<unknown>): Promise<FetchError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(FetchError);
  return error as FetchError;
}

/** Sockets still lent out by the client's agents (kept-alive idle ones don't count). */
function busySockets(client: SafeHttpClient): number {
  const { http, https } = client['agents'];
  return [http, https].flatMap((agent) => Object.values(agent.sockets).flat()).length;
}

describe('SafeHttpClient with ALLOW_PRIVATE_URLS=false', () => {
  it.each([
    ['http://127.0.0.1:PORT/x'],
    ['http://127.1:PORT/x'],
    ['http://2130706433:PORT/x'],
    ['http://0x7f000001:PORT/x'],
    ['http://[::ffff:127.0.0.1]:PORT/x'],
    ['http://localhost:PORT/x'],
    ['http://[::1]:PORT/x'],
    ['https://127.0.0.1:PORT/x'],
  ])('download(%s) is blocked before any connection', async (template) => {
    const dns = fakeDns('127.0.0.1');
    const client = makeClient({ ALLOW_PRIVATE_URLS: 'false' }, dns);
    const error = await failure(client.download(template.replace('PORT', String(port))));
    expect(error).toMatchObject({ code: 'blocked_address', retryable: false });
    expect(seen).toHaveLength(0);
    expect(dns).not.toHaveBeenCalled(); // refused by the URL check, before any lookup
  });

  it.each(['http', 'https'])(
    'blocks a public-looking name that resolves to 127.0.0.1 over %s (DNS rebinding)',
    async (scheme) => {
      const dns = fakeDns('127.0.0.1');
      const client = makeClient({ ALLOW_PRIVATE_URLS: 'false' }, dns);
      const error = await failure(client.download(`${scheme}://images.example:${port}/ok`));
      expect(error).toMatchObject({
        code: 'blocked_address',
        retryable: false,
      });
      expect(error.message).not.toContain('127.0.0.1'); // the client is not told where the name points
      expect(error.detail).toContain('127.0.0.1'); // the log is
      expect(dns).toHaveBeenCalledWith(
        'images.example',
        expect.objectContaining({ all: true }),
        expect.any(Function),
      );
      expect(seen).toHaveLength(0);
    },
  );

  it('maps a name that does not resolve to dns_failed, not retryable', async () => {
    const dns = vi.fn<LookupAllFunction>((hostname, _options, callback) =>
      callback(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
          code: 'ENOTFOUND',
          hostname,
        }),
        [],
      ),
    );
    const client = makeClient({ ALLOW_PRIVATE_URLS: 'false' }, dns);
    const error = await failure(client.download('http://nx.example/a.png'));
    expect(error).toMatchObject({ code: 'dns_failed', retryable: false });
    expect(dns).toHaveBeenCalled();
  });
});

describe('SafeHttpClient.download with ALLOW_PRIVATE_URLS=true', () => {
  it('returns the body, content type and final URL', async () => {
    const result = await makeClient().download(`${base}/ok`);
    expect(result.body.toString()).toBe('image bytes');
    expect(result.contentType).toBe('image/png');
    expect(result.finalUrl).toBe(`${base}/ok`);
    expect(seen.map((r) => r.method)).toEqual(['GET']);
  });

  it('connects through the injected lookup (so the rebinding test above is meaningful)', async () => {
    const dns = fakeDns('127.0.0.1');
    const result = await makeClient({}, dns).download(`http://images.example:${port}/ok`);
    expect(result.body.toString()).toBe('image bytes');
    expect(dns).toHaveBeenCalledWith('images.example', expect.anything(), expect.any(Function));
    expect(seen[0].headers.host).toBe(`images.example:${port}`);
  });

  it('decompresses gzip, and counts the decompressed bytes against the limit', async () => {
    const client = makeClient();
    expect((await client.download(`${base}/gzip/small`)).body.toString()).toBe('hello gzip');
    const error = await failure(client.download(`${base}/gzip/bomb`));
    expect(error).toMatchObject({ code: 'too_large', retryable: false });
  });

  it.each(['gzip', 'br', 'deflate'])(
    'a body that is not the %s it claims fails as decode_error, not as a bug',
    async (encoding) => {
      const error = await failure(makeClient().download(`${base}/corrupt/${encoding}`));
      expect(error).toBeInstanceOf(FetchError);
      expect(error).toMatchObject({ code: 'decode_error', retryable: false });
      expect(error.message).toMatch(/^the response body is not in its declared Content-Encoding \(\w+\)$/);
    },
  );

  it('404 -> http_404, not retryable', async () => {
    const error = await failure(makeClient().download(`${base}/status/404`));
    expect(error).toMatchObject({
      code: 'http_404',
      retryable: false,
      message: 'HTTP 404 Not Found',
    });
  });

  it('503 -> http_503, retryable', async () => {
    const error = await failure(makeClient().download(`${base}/status/503`));
    expect(error).toMatchObject({ code: 'http_503', retryable: true });
  });

  it('429 with Retry-After: 2 -> retryable, retryAfterMs 2000', async () => {
    const error = await failure(makeClient().download(`${base}/status/429?retryAfter=2`));
    expect(error).toMatchObject({
      code: 'http_429',
      retryable: true,
      retryAfterMs: 2000,
    });
  });

  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    const client = makeClient();
    const error = await failure(client.download(`${base}/declared-large`));
    expect(error).toMatchObject({
      code: 'too_large',
      retryable: false,
      message: 'download exceeded 1000 bytes limit',
    });
    // The client hung up on the headers alone: not one byte of the body was sent.
    await vi.waitFor(() => expect(streamed).toHaveLength(1));
    expect(streamed[0]).toMatchObject({ completed: false, bytesSent: 0 });
    await vi.waitFor(() => expect(busySockets(client)).toBe(0));
  });

  it('stops a body without Content-Length as soon as it passes the limit', async () => {
    const client = makeClient();
    const error = await failure(client.download(`${base}/chunked-large`));
    expect(error.code).toBe('too_large');
    await vi.waitFor(() => expect(streamed).toHaveLength(1));
    expect(streamed[0].completed).toBe(false);
    expect(streamed[0].bytesSent).toBeLessThan(5000);
    await vi.waitFor(() => expect(busySockets(client)).toBe(0));
  });

  it('never returns more than the limit when Content-Length lies', async () => {
    const outcome = await makeClient()
      .download(`${base}/lying-length`)
      .then(
        (result) => result.body.length,
        (error: FetchError) => error.code,
      );
    if (typeof outcome === 'number') expect(outcome).toBeLessThanOrEqual(LIMIT);
    else expect(['too_large', 'connection_failed']).toContain(outcome);
  });

  it('times out a trickling body on time: the deadline covers the whole download', async () => {
    const client = makeClient({
      DOWNLOAD_TIMEOUT_MS: '1000',
      MAX_IMAGE_BYTES: '100000',
    });
    const started = performance.now();
    const error = await failure(client.download(`${base}/trickle`));
    const elapsed = performance.now() - started;
    expect(error).toMatchObject({ code: 'timeout', retryable: true });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(5_000); // far short of the 20 s trickle, with room for a loaded machine
    await vi.waitFor(() => expect(streamed).toHaveLength(1)); // the server saw the client go
    expect(streamed[0].completed).toBe(false);
    await vi.waitFor(() => expect(busySockets(client)).toBe(0));
  });

  it('follows up to maxRedirects relative redirects', async () => {
    const result = await makeClient({ MAX_REDIRECTS: '2' }).download(`${base}/redirect/2`);
    expect(result.body.toString()).toBe('landed');
    expect(result.finalUrl).toBe(`${base}/redirect/0`);
    expect(seen.map((r) => r.url)).toEqual(['/redirect/2', '/redirect/1', '/redirect/0']);
  });

  it('maxRedirects + 1 redirects -> too_many_redirects, without requesting the last target', async () => {
    const error = await failure(makeClient({ MAX_REDIRECTS: '2' }).download(`${base}/redirect/3`));
    expect(error).toMatchObject({
      code: 'too_many_redirects',
      retryable: false,
    });
    expect(seen.map((r) => r.url)).toEqual(['/redirect/3', '/redirect/2', '/redirect/1']);
  });

  it('checks every redirect hop: a non-http(s) Location is refused', async () => {
    const error = await failure(
      makeClient().download(`${base}/redirect-to?to=${encodeURIComponent('file:///etc/passwd')}`),
    );
    expect(error.code).toBe('invalid_url');
    expect(seen).toHaveLength(1);
  });

  it('resolves every redirect hop through the guarded lookup', async () => {
    const dns = fakeDns('127.0.0.1');
    const target = `http://cdn.example:${port}/ok`;
    const result = await makeClient({}, dns).download(`${base}/redirect-to?to=${encodeURIComponent(target)}`);
    expect(result).toMatchObject({ finalUrl: target });
    expect(dns).toHaveBeenCalledWith('cdn.example', expect.anything(), expect.any(Function));
  });

  it('connection refused -> connection_failed, retryable', async () => {
    const error = await failure(makeClient().download(`http://127.0.0.1:${await freePort()}/x`));
    expect(error).toMatchObject({ code: 'connection_failed', retryable: true });
  });

  it('ignores proxy settings from the environment (a proxy would resolve names past the guard)', async () => {
    for (const name of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) vi.stubEnv(name, base);
    for (const name of ['NO_PROXY', 'no_proxy']) vi.stubEnv(name, '');
    try {
      const error = await failure(makeClient().download(`http://127.0.0.1:${await freePort()}/x`));
      expect(error.code).toBe('connection_failed');
      expect(seen).toHaveLength(0); // the "proxy" was not asked
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('SafeHttpClient.download, conditional', () => {
  it('returns the validators of a 200', async () => {
    const result = await makeClient().download(`${base}/validated/v1`);
    expect(result.validators).toEqual({ etag: '"v1"', lastModified: LAST_MODIFIED });
    expect(seen[0].headers['if-none-match']).toBeUndefined();
    expect(seen[0].headers['if-modified-since']).toBeUndefined();
  });

  it('sends If-None-Match and If-Modified-Since; a 304 resolves notModified and frees the socket', async () => {
    const client = makeClient();
    const url = `${base}/validated/v1`;
    const result = await client.download(url, {
      validators: { etag: '"v1"', lastModified: LAST_MODIFIED },
      url,
    });
    expect(result).toEqual({
      notModified: true,
      finalUrl: url,
      validators: { etag: '"v1"', lastModified: LAST_MODIFIED },
    });
    expect(seen[0].headers).toMatchObject({
      'if-none-match': '"v1"',
      'if-modified-since': LAST_MODIFIED,
    });
    await vi.waitFor(() => expect(busySockets(client)).toBe(0));
  });

  it('keeps the known validators when a 304 repeats none', async () => {
    const validators = { etag: '"v1"', lastModified: null };
    const url = `${base}/validated/v1?bare`;
    const result = await makeClient().download(url, { validators, url });
    expect(result).toMatchObject({ notModified: true, validators });
    expect(seen[0].headers['if-modified-since']).toBeUndefined();
  });

  it('revalidates by Last-Modified alone', async () => {
    const url = `${base}/validated/v2`;
    const validators = { etag: null, lastModified: LAST_MODIFIED };
    const result = await makeClient().download(url, { validators, url });
    expect(result.notModified).toBe(true);
    expect(seen[0].headers['if-none-match']).toBeUndefined();
  });

  it('a changed source answers 200: its body and its new validators', async () => {
    const url = `${base}/validated/v2`;
    const result = await makeClient().download(url, {
      validators: { etag: '"v1"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' },
      url,
    });
    expect(result.notModified).toBeFalsy();
    expect(result).toMatchObject({ validators: { etag: '"v2"', lastModified: LAST_MODIFIED } });
    expect((result as DownloadResult).body.toString()).toBe('version v2');
  });

  it('sends the validators to the hop whose URL answered with them, whatever the redirects before it', async () => {
    const target = encodeURIComponent('/validated/v1');
    const validators = { etag: '"v1"', lastModified: null };
    const result = await makeClient().download(`${base}/redirect-to?to=${target}`, {
      validators,
      url: `${base}/validated/v1`,
    });
    expect(result).toMatchObject({ notModified: true, finalUrl: `${base}/validated/v1` });
    expect(seen.map((request) => request.headers['if-none-match'])).toEqual([undefined, '"v1"']);
  });

  it('a redirect that now leads to another URL gets a plain GET there: another resource, not revalidated', async () => {
    const target = encodeURIComponent('/validated/v1');
    const validators = { etag: '"v1"', lastModified: null };
    const result = await makeClient().download(`${base}/redirect-to?to=${target}`, {
      validators,
      url: `${base}/validated/v0`,
    });
    expect(result).toMatchObject({ finalUrl: `${base}/validated/v1`, validators: { etag: '"v1"' } });
    expect(result.notModified).toBeFalsy();
    expect(seen.map((request) => request.headers['if-none-match'])).toEqual([undefined, undefined]);
  });

  it('a 304 to an unconditional GET is a failure (http_304), as before, also with empty validators', async () => {
    const url = `${base}/status/304`;
    expect((await failure(makeClient().download(url))).code).toBe('http_304');
    const validators = { etag: null, lastModified: null };
    expect((await failure(makeClient().download(url, { validators, url }))).code).toBe('http_304');
    expect(seen.map((request) => request.headers['if-none-match'])).toEqual([undefined, undefined]);
  });

  it('does not keep a validator longer than 512 characters', async () => {
    const result = await makeClient().download(`${base}/long-validators`);
    expect(result.validators).toEqual({ etag: null, lastModified: LAST_MODIFIED });
  });
});

describe('SafeHttpClient.post', () => {
  const headers = { 'Content-Type': 'application/json', 'X-Test': 'yes' };
  const body = Buffer.from('{"hello":"world"}');

  it('POSTs the body with its headers and Content-Length; resolves the status and frees the socket', async () => {
    const client = makeClient();
    const answer = await client.post(`${base}/ok`, body, headers, 1000);
    expect(answer).toEqual({ status: 200, retryAfterMs: undefined });
    await vi.waitFor(() => expect(seen[0].body).toBe('{"hello":"world"}'));
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/ok' });
    expect(seen[0].headers).toMatchObject({
      'content-type': 'application/json',
      'x-test': 'yes',
      'content-length': String(body.length),
    });
    await vi.waitFor(() => expect(busySockets(client)).toBe(0));
  });

  it('returns an error status with its Retry-After', async () => {
    const answer = await makeClient().post(`${base}/status/503?retryAfter=7`, body, headers, 1000);
    expect(answer).toEqual({ status: 503, retryAfterMs: 7000 });
  });

  it('never follows a redirect: a 3xx is the answer', async () => {
    const answer = await makeClient().post(`${base}/redirect/1`, body, headers, 1000);
    expect(answer.status).toBe(302);
    expect(seen.map((r) => r.url)).toEqual(['/redirect/1']);
  });

  it('answers at the headers: a body that trickles for 20 s is not waited for', async () => {
    const started = Date.now();
    const answer = await makeClient().post(`${base}/trickle`, body, headers, 10_000);
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000); // neither the 20 s body nor the 10 s timeout
  });

  it.each(['http://127.0.0.1:PORT/x', 'http://10.0.0.1/x', 'http://[fd00::1]/x', 'http://169.254.169.254/x'])(
    'with ALLOW_PRIVATE_URLS=false, refuses %s before any lookup or connection',
    async (template) => {
      const dns = fakeDns('127.0.0.1');
      const client = makeClient({ ALLOW_PRIVATE_URLS: 'false' }, dns);
      const url = template.replace('PORT', String(port));
      const error = await failure(client.post(url, body, headers, 1000));
      expect(error).toMatchObject({ code: 'blocked_address', retryable: false });
      expect(dns).not.toHaveBeenCalled();
      expect(seen).toHaveLength(0);
    },
  );

  it.each(['10.1.2.3', '192.168.0.10', '169.254.169.254', 'fd00::1', '127.0.0.1'])(
    'with ALLOW_PRIVATE_URLS=false, refuses a name that resolves to %s, when connecting',
    async (address) => {
      const dns = fakeDns(address);
      const client = makeClient({ ALLOW_PRIVATE_URLS: 'false' }, dns);
      const error = await failure(client.post(`http://hooks.example:${port}/ok`, body, headers, 1000));
      expect(error).toMatchObject({
        code: 'blocked_address',
        message: 'host hooks.example does not resolve to a public address',
      });
      expect(dns).toHaveBeenCalledWith('hooks.example', expect.anything(), expect.any(Function));
      expect(seen).toHaveLength(0);
    },
  );
});
