import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { addAbortSignal, pipeline, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Inject, Injectable, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { checkRequestUrl, createGuardedLookup, type LookupAllFunction } from './address-policy.js';
import { FetchError, parseRetryAfter } from './fetch-error.js';

/**
 * Optional provider token: the DNS lookup behind the guard (tests inject a fake; default dns.lookup).
 * @public
 */
export const SAFE_HTTP_DNS_LOOKUP = Symbol('SAFE_HTTP_DNS_LOOKUP');

export interface DownloadResult {
  body: Buffer;
  contentType: string | undefined;
  finalUrl: string;
}

export interface PostResult {
  status: number;
  retryAfterMs?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** The encodings a download accepts, and how each is decoded. */
const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};
const ACCEPT_ENCODING = 'gzip, deflate, br';

/** The reason a finished request's signal is aborted with (releasing whatever still listens to it). */
const RELEASED = new Error('request finished');

/**
 * Outgoing HTTP for URLs that customers control. Every connection goes through agents whose DNS
 * lookup refuses non-public addresses, IP-literal hosts are checked before each request, redirects
 * are followed by hand so every hop is checked, and sizes and times are bounded. Node's own
 * `http`/`https` clients, with no proxy (a proxy would resolve names past the guard): a download is on
 * the hot path of every image, where a general-purpose client's layers cost more main-thread CPU than
 * the request itself.
 */
@Injectable()
export class SafeHttpClient implements OnApplicationShutdown {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;

  constructor(
    private readonly config: AppConfig,
    @Optional() @Inject(SAFE_HTTP_DNS_LOOKUP) dnsLookup?: LookupAllFunction,
  ) {
    const lookup = createGuardedLookup({
      allowPrivate: config.allowPrivateUrls,
      lookup: dnsLookup,
    });
    this.httpAgent = new HttpAgent({ keepAlive: true, lookup });
    this.httpsAgent = new HttpsAgent({ keepAlive: true, lookup });
  }

  onApplicationShutdown(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** GETs an image, following up to `maxRedirects` redirects; body limited to `maxImageBytes`. */
  download(url: string): Promise<DownloadResult> {
    const { maxImageBytes: limit, maxRedirects, downloadTimeoutMs } = this.config;
    return this.withDeadline(downloadTimeoutMs, async (signal) => {
      let current = this.checkUrl(url);
      for (let redirects = 0; ; redirects++) {
        const response = await this.send(current, signal, 'GET', { 'Accept-Encoding': ACCEPT_ENCODING });
        const { statusCode: status = 0, headers } = response;

        const location = headers['location'];
        if (REDIRECT_STATUSES.has(status) && typeof location === 'string' && location !== '') {
          response.destroy();
          if (redirects >= maxRedirects) throw FetchError.tooManyRedirects(maxRedirects);
          current = this.checkUrl(location, current);
          continue;
        }
        if (status < 200 || status > 299) {
          response.destroy();
          throw FetchError.http(
            status,
            response.statusMessage ?? '',
            this.retryAfterOf(headers['retry-after']),
          );
        }
        if (Number(headers['content-length']) > limit) {
          response.destroy();
          throw FetchError.tooLarge(limit);
        }
        return {
          body: await readLimited(decoded(response), limit, signal).catch((error: unknown) => {
            throw decodingError(error) ?? error;
          }),
          contentType: headers['content-type'],
          finalUrl: current.href,
        };
      }
    });
  }

  /** POSTs JSON once, without following redirects; any HTTP answer is returned as its status. */
  postJson(url: string, body: string, headers: Record<string, string>): Promise<PostResult> {
    return this.withDeadline(this.config.webhookTimeoutMs, async (signal) => {
      const target = this.checkUrl(url);
      const payload = Buffer.from(body);
      const response = await this.send(
        target,
        signal,
        'POST',
        { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(payload.length) },
        payload,
      );
      // Only the status matters: drop the body (and its connection) rather than read an
      // arbitrary amount of it.
      response.destroy();
      return {
        status: response.statusCode ?? 0,
        retryAfterMs: this.retryAfterOf(response.headers['retry-after']),
      };
    });
  }

  private retryAfterOf(header: unknown): number | undefined {
    return parseRetryAfter(header as string | undefined, this.config.maxRetryAfterMs);
  }

  private checkUrl(input: string, base?: URL): URL {
    return checkRequestUrl(input, this.config.allowPrivateUrls, base);
  }

  /** Sends one request and resolves with its response (headers read, body not yet); never follows a redirect. */
  private send(
    url: URL,
    signal: AbortSignal,
    method: 'GET' | 'POST',
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<IncomingMessage> {
    const https = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const request = (https ? httpsRequest : httpRequest)(url, {
        method,
        headers,
        agent: https ? this.httpsAgent : this.httpAgent,
        signal,
      });
      request.once('response', resolve);
      request.once('error', reject);
      request.end(body);
    });
  }

  /**
   * Runs `work` with a signal that aborts after `ms`: one deadline for connecting, headers and
   * body together. Errors come out as FetchErrors.
   */
  private async withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
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
      // made once: abort() without one builds a DOMException, and its stack, for every download.
      controller.abort(RELEASED);
    }
  }
}

/** The response body, decoded from its Content-Encoding (an encoding we did not ask for is left as it is). */
function decoded(response: IncomingMessage): Readable {
  const decoder = DECODERS[response.headers['content-encoding']?.trim().toLowerCase() ?? ''];
  if (!decoder) return response;
  // An error on either side destroys both: a bad body frees its socket, a dropped socket ends the read.
  return pipeline(response, decoder(), () => undefined) as unknown as Readable;
}

/**
 * Reads a stream into a Buffer, destroying it (and with it the socket) as soon as it passes `limit`
 * bytes or `signal` aborts. Chunks are taken as they arrive ('data'), not through an async iterator,
 * which reads each time what is buffered into one more copy and costs a promise per chunk: a 6 MP
 * photo is a few dozen chunks, on the main thread of every image.
 */
async function readLimited(stream: Readable, limit: number, signal: AbortSignal): Promise<Buffer> {
  addAbortSignal(signal, stream);
  const chunks: Buffer[] = [];
  let total = 0;
  stream.on('data', (chunk: Buffer) => {
    total += chunk.length;
    if (total > limit) stream.destroy(FetchError.tooLarge(limit));
    else chunks.push(chunk);
  });
  await finished(stream);
  return Buffer.concat(chunks, total);
}

/**
 * A zlib (Z_DATA_ERROR…) or brotli (ERR__ERROR_FORMAT_…) failure while the body was read: the body is
 * not in its declared Content-Encoding.
 */
function decodingError(error: unknown): FetchError | undefined {
  const code = causes(error).find(
    (e) => typeof e.code === 'string' && /^(Z_[A-Z_]+|ERR__ERROR_[A-Z0-9_]+|ERR_ZSTD_[A-Z_]+)$/.test(e.code),
  )?.code as string | undefined;
  return code ? FetchError.corruptEncoding(code) : undefined;
}

/** Maps a network error (perhaps wrapped) to a FetchError; other errors pass unchanged. */
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
  const host = typeof errno.hostname === 'string' ? errno.hostname : 'host';
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
function causes(error: unknown, seen = new Set<unknown>()): ErrorLike[] {
  if (!(error instanceof Error) || seen.has(error)) return [];
  seen.add(error);
  const nested = error instanceof AggregateError ? error.errors : [];
  return [error, ...causes(error.cause, seen), ...nested.flatMap((e) => causes(e, seen))];
}
