import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { addAbortSignal, type Readable } from 'node:stream';
import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, type OnApplicationShutdown, Optional } from '@nestjs/common';
import type { AxiosRequestConfig, AxiosResponse } from 'axios';
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

/**
 * Outgoing HTTP for URLs that customers control. Every connection goes through agents whose DNS
 * lookup refuses non-public addresses, IP-literal hosts are checked before each request, redirects
 * are followed by hand so every hop is checked, and sizes and times are bounded.
 */
@Injectable()
export class SafeHttpClient implements OnApplicationShutdown {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;

  constructor(
    private readonly http: HttpService,
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
        const response = await this.send({
          method: 'GET',
          url: current.href,
          signal,
          decompress: true,
        });
        const body = response.data;
        const { status, headers } = response;

        const location = headers['location'];
        if (REDIRECT_STATUSES.has(status) && typeof location === 'string' && location !== '') {
          body.destroy();
          if (redirects >= maxRedirects) throw FetchError.tooManyRedirects(maxRedirects);
          current = this.checkUrl(location, current);
          continue;
        }
        if (status < 200 || status > 299) {
          body.destroy();
          throw FetchError.http(status, response.statusText, this.retryAfterOf(headers['retry-after']));
        }
        if (Number(headers['content-length']) > limit) {
          body.destroy();
          throw FetchError.tooLarge(limit);
        }
        const contentType = headers['content-type'];
        return {
          body: await readLimited(body, limit, signal).catch((error: unknown) => {
            throw decodingError(error) ?? error;
          }),
          contentType: typeof contentType === 'string' ? contentType : undefined,
          finalUrl: current.href,
        };
      }
    });
  }

  /** POSTs JSON once, without following redirects; any HTTP answer is returned as its status. */
  postJson(url: string, body: string, headers: Record<string, string>): Promise<PostResult> {
    return this.withDeadline(this.config.webhookTimeoutMs, async (signal) => {
      const target = this.checkUrl(url);
      const response = await this.send({
        method: 'POST',
        url: target.href,
        data: body,
        headers: { ...headers, 'Content-Type': 'application/json' },
        signal,
      });
      // Only the status matters: drop the body (and its connection) rather than read an
      // arbitrary amount of it.
      response.data.destroy();
      return {
        status: response.status,
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

  private send(request: AxiosRequestConfig): Promise<AxiosResponse<Readable>> {
    return this.http.axiosRef.request<Readable>({
      ...request,
      adapter: 'http', // Node's adapter: the one that uses the agents below
      httpAgent: this.httpAgent, // both agents on every request, whatever its protocol
      httpsAgent: this.httpsAgent,
      proxy: false, // a proxy would resolve the name itself, out of reach of our lookup
      maxRedirects: 0, // redirects are followed (and checked) by download()
      maxContentLength: -1, // the body is counted by readLimited(); keep axios' stream raw
      responseType: 'stream',
      validateStatus: () => true,
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
      // Whatever is still attached to this request (nothing, normally) is released.
      controller.abort();
    }
  }
}

/** Reads a stream into a Buffer, destroying it as soon as it passes `limit` bytes or `signal` aborts. */
async function readLimited(stream: Readable, limit: number, signal: AbortSignal): Promise<Buffer> {
  addAbortSignal(signal, stream);
  const chunks: Buffer[] = [];
  let total = 0;
  // Leaving the loop early (the throw) destroys the stream, and with it the socket.
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw FetchError.tooLarge(limit);
    chunks.push(chunk);
  }
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

/** Maps a network error (usually wrapped by axios) to a FetchError; other errors pass unchanged. */
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
