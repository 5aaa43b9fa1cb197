import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request as httpRequest,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { addAbortSignal, pipeline, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { checkRequestUrl } from './address-policy.js';
import { FetchError, parseRetryAfter } from './fetch-error.js';
import { GuardedAgents } from './guarded-agents.js';
import { causes, withDeadline } from './with-deadline.js';

/** What a response said about its body's version, for a conditional GET later; null when it did not say. */
export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

export interface DownloadResult {
  notModified?: false;
  body: Buffer;
  contentType: string | undefined;
  finalUrl: string;
  validators: Validators;
}

/**
 * What a caller has of a source: the validators it answered with, and the URL that answered (the last
 * hop of the download that got them). Validators belong to that URL's resource: a conditional GET sends
 * them there alone, so a redirect that now leads elsewhere gets a plain GET.
 */
export interface KnownVersion {
  validators: Validators;
  url: string;
}

/** A conditional GET the source answered 304: what the caller has is current (no body was read). */
export interface NotModified {
  notModified: true;
  finalUrl: string;
  /** The 304's validators, or those sent where it repeated none. */
  validators: Validators;
}

/** A validator longer than this is not kept (nor sent back): a header is no place for a body. */
const MAX_VALIDATOR_LENGTH = 512;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** The encodings a download accepts, and how each is decoded. */
const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};
const ACCEPT_ENCODING = 'gzip, deflate, br';

/** What a POST was answered: its status, and its Retry-After as the caller honours it (see parseRetryAfter). */
export interface PostAnswer {
  status: number;
  retryAfterMs: number | undefined;
}

/**
 * The one HTTP client for URLs that customers control: image downloads and webhooks. Every connection
 * goes through the guarded agents (their DNS lookup refuses non-public addresses), IP-literal hosts are
 * checked before each request, redirects are followed by hand (downloads) or not at all (webhooks) so
 * every hop is checked, and sizes and times are bounded. Node's own `http`/`https` clients, with no proxy
 * (a proxy would resolve names past the guard): a download is on the hot path of every image, where a
 * general-purpose client's layers cost more main-thread CPU than the request itself.
 */
@Injectable()
export class SafeHttpClient {
  constructor(
    private readonly config: AppConfig,
    private readonly agents: GuardedAgents,
  ) {}

  /**
   * GETs an image, following up to `maxRedirects` redirects; body limited to `maxImageBytes`. With a
   * `known` version the GET of its URL is conditional (If-None-Match, If-Modified-Since), on whichever
   * hop reaches it: a 304 there resolves NotModified without reading a body.
   */
  download(url: string): Promise<DownloadResult>;
  download(url: string, known: KnownVersion | undefined): Promise<DownloadResult | NotModified>;
  download(url: string, known?: KnownVersion): Promise<DownloadResult | NotModified> {
    const { maxImageBytes: limit } = this.config.limits;
    const { maxRedirects, timeoutMs } = this.config.downloads;
    // Validators that say nothing make a plain GET (to which a 304 is a failure, as ever).
    const conditional = known?.validators.etag || known?.validators.lastModified ? known : undefined;
    const knownHref = conditional && hrefOf(conditional.url);
    const plain = requestHeaders(undefined);
    return withDeadline(timeoutMs, async (signal) => {
      let current = this.checkUrl(url);
      for (let redirects = 0; ; redirects++) {
        const asking = knownHref !== undefined && current.href === knownHref;
        const sent = asking ? requestHeaders(conditional!.validators) : plain;
        const response = await this.send('GET', current, sent, signal);
        const { statusCode: status = 0, headers } = response;

        const location = headers['location'];
        if (REDIRECT_STATUSES.has(status) && typeof location === 'string' && location !== '') {
          response.destroy();
          if (redirects >= maxRedirects) throw FetchError.tooManyRedirects(maxRedirects);
          current = this.checkUrl(location, current);
          continue;
        }
        if (status === 304 && asking) {
          // A 304 has no body (the parser reads none): resuming ends it and frees the socket for reuse.
          response.resume();
          return {
            notModified: true,
            finalUrl: current.href,
            validators: validatorsOf(headers, conditional!.validators),
          };
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
          validators: validatorsOf(headers),
        };
      }
    });
  }

  /**
   * POSTs `body` once, within `timeoutMs` for connecting and the answer's headers. No redirect is followed
   * (a 3xx is an answer like any other). The answer's body is never read: it is destroyed at once, and its
   * connection with it, so a receiver cannot make the service buffer or wait for anything.
   */
  post(url: string, body: Buffer, headers: OutgoingHttpHeaders, timeoutMs: number): Promise<PostAnswer> {
    return withDeadline(timeoutMs, async (signal) => {
      const target = this.checkUrl(url);
      const sent = { ...headers, 'Content-Length': body.length };
      const response = await this.send('POST', target, sent, signal, body);
      response.destroy();
      return {
        status: response.statusCode ?? 0,
        retryAfterMs: this.retryAfterOf(response.headers['retry-after']),
      };
    });
  }

  private retryAfterOf(header: unknown): number | undefined {
    return parseRetryAfter(header as string | undefined, this.config.downloads.maxRetryAfterMs);
  }

  private checkUrl(input: string, base?: URL): URL {
    return checkRequestUrl(input, this.config.downloads.allowPrivateUrls, base);
  }

  /**
   * Sends one request through the guarded agents and resolves with its response (headers read, body not
   * yet); never follows a redirect. `url` has been through checkUrl.
   */
  private send(
    method: 'GET' | 'POST',
    url: URL,
    headers: OutgoingHttpHeaders,
    signal: AbortSignal,
    body?: Buffer,
  ): Promise<IncomingMessage> {
    const https = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const request = (https ? httpsRequest : httpRequest)(url, {
        method,
        headers,
        agent: https ? this.agents.https : this.agents.http,
        signal,
      });
      request.once('response', resolve);
      request.once('error', reject);
      request.end(body);
    });
  }
}

/** A plain GET's headers, or a conditional GET's when validators are known. */
function requestHeaders(known: Validators | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { 'Accept-Encoding': ACCEPT_ENCODING };
  if (known?.etag) headers['If-None-Match'] = known.etag;
  if (known?.lastModified) headers['If-Modified-Since'] = known.lastModified;
  return headers;
}

/** A URL as the client compares it with a hop's (normalised); undefined when it does not parse. */
function hrefOf(url: string): string | undefined {
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

/** A response's validators (on a 304 that repeats none, `fallback`'s), each kept only when short. */
function validatorsOf(headers: IncomingHttpHeaders, fallback?: Validators): Validators {
  const kept = (value: string | undefined) => (value && value.length <= MAX_VALIDATOR_LENGTH ? value : null);
  return {
    etag: kept(headers['etag']) ?? fallback?.etag ?? null,
    lastModified: kept(headers['last-modified']) ?? fallback?.lastModified ?? null,
  };
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
