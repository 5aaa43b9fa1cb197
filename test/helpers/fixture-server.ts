import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { basename, join, resolve } from 'node:path';

export const FIXTURES_DIR = resolve(import.meta.dirname, '../fixtures/images');

/** One POST the server received, in arrival order. */
export interface ReceivedPost {
  path: string;
  /** Date.now() when the request's body had arrived. */
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How to answer one POST: an HTTP status (with headers, after a delay), or never (`hang`: held open until the server stops). */
type ScriptedReply = number | { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';

/** Decides the answer to the `attempt`-th (1-based) POST to one path. */
type ReplyScript = (attempt: number, post: ReceivedPost) => ScriptedReply;

/** What one image path (path and query) was asked and sent. */
export interface SourceCounts {
  /** GETs received. */
  requests: number;
  /** GETs with If-None-Match or If-Modified-Since. */
  conditional: number;
  /** Answered 304 Not Modified. */
  notModified: number;
  /** Bytes of image bodies sent. */
  bodyBytes: number;
}

/** How one image path is served instead of its fixture with validators (see `replaceImage`, `withoutValidators`). */
interface SourceOverride {
  file?: string;
  /** When the replacement was made: its Last-Modified. */
  modifiedAt?: Date;
  noValidators?: boolean;
}

/** The Last-Modified of every fixture not replaced (whole seconds: HTTP dates have no more). */
const FIXTURES_MODIFIED_AT = new Date('2026-01-02T03:04:05Z');

/**
 * The local HTTP server a suite fetches images from and sends webhooks to:
 * - GET /images/<fixture>?<anything> serves a file of test/fixtures/images (the query string is
 *   ignored, so URLs can be made distinct) after `imageDelayMs`, unless held (`holdImages`) or
 *   answered with the status `imageStatus` gives instead; every GET is recorded with its query;
 * - images are served like a CDN's: with an ETag (the file's name and size) and a Last-Modified, and a
 *   conditional GET that matches either is answered 304 without a body. Per path and query, a source
 *   can change (`replaceImage`: other bytes, another ETag) or have no validators (`withoutValidators`);
 *   `counts` tells what each was asked and sent;
 * - POSTs to any path (webhooks: /webhook) are recorded and answered by that path's script
 *   (default 200);
 * - `serve` adds fixed bodies by path (an HTML page of another origin, images kept in memory).
 * It can listen on a given port, so a "receiver that is down" is a reserved port nobody listens on yet.
 */
export class FixtureServer {
  readonly posts: ReceivedPost[] = [];
  readonly imageRequests: string[] = [];
  /** Delay before each image response, e.g. to keep work in flight. */
  imageDelayMs = 0;
  /**
   * Each `/images/<name>?<query>` gets bytes of its own: the fixture, then the query (after the image's
   * end, where decoders stop reading). For suites that count outputs: the service reuses an output
   * for the same bytes at another URL of the same client.
   */
  distinctImages = false;
  /** A status to answer instead of the image at `/images/<name>?<query>`; undefined serves the fixture. */
  imageStatus: (pathAndQuery: string) => number | undefined = () => undefined;
  private readonly bodies = new Map<
    string,
    { body: string | Buffer; contentType: string; distinct: boolean }
  >();
  private readonly overrides = new Map<string, SourceOverride>();
  private readonly sourceCounts = new Map<string, SourceCounts>();
  private readonly scripts = new Map<string, ReplyScript>();
  private readonly held = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The holds in force: each picks its requests and keeps them waiting until it is released. */
  private readonly holds = new Set<{ which: (request: string) => boolean; released: Promise<void> }>();
  private server?: Server;
  private port?: number;

  /**
   * Serves `body` at `path` (any query string ignored), e.g. a page of another origin for browser tests.
   * `distinct`: each query string gets bytes of its own, the body followed by the query (after an
   * image's end, where decoders stop reading), as a catalog's images differ: nothing is reused by
   * content between two URLs.
   */
  serve(path: string, body: string | Buffer, contentType: string, { distinct = false } = {}): this {
    this.bodies.set(path, { body, contentType, distinct });
    return this;
  }

  /** From now on `/images/<name>?<query>` (as `imageUrl` gives it) serves the fixture `file`: new bytes, a new ETag and Last-Modified. */
  replaceImage(url: string, file: string): this {
    const modifiedAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    this.overrides.set(this.sourceOf(url), { ...this.overrides.get(this.sourceOf(url)), file, modifiedAt });
    return this;
  }

  /** From now on the image at `url` is served without ETag or Last-Modified (never 304). */
  withoutValidators(url: string): this {
    this.overrides.set(this.sourceOf(url), { ...this.overrides.get(this.sourceOf(url)), noValidators: true });
    return this;
  }

  /** What the image at `url` (as `imageUrl` gives it) was asked and sent so far. */
  counts(url: string): SourceCounts {
    return { ...(this.sourceCounts.get(this.sourceOf(url)) ?? emptyCounts()) };
  }

  /** Forgets every image's counts (the next phase of a suite counts from zero). */
  resetCounts(): void {
    this.sourceCounts.clear();
  }

  private sourceOf(url: string): string {
    const { pathname, search } = new URL(url, this.baseUrl);
    return `${pathname}${search}`;
  }

  /** Sets how POSTs to `path` are answered. */
  script(path: string, reply: ReplyScript): this {
    this.scripts.set(path, reply);
    return this;
  }

  /** The webhooks received (POSTs to /webhook), in order. */
  get webhooks(): ReceivedPost[] {
    return this.postsTo('/webhook');
  }

  /** POSTs answered `hang` whose connection is still open (none of them has ended). */
  get holding(): number {
    return this.held.size;
  }

  /** The POSTs received on one path, in order. */
  postsTo(path: string): ReceivedPost[] {
    return this.posts.filter((post) => post.path === path);
  }

  /**
   * Holds the image answers (requests are recorded, then wait) until the returned function is called:
   * every one, or those whose path and query `which` picks. Holds add up: a request waits for every
   * hold that picks it.
   */
  holdImages(which: (request: string) => boolean = () => true): () => void {
    let release!: () => void;
    const hold = { which, released: new Promise<void>((done) => (release = done)) };
    this.holds.add(hold);
    return () => {
      this.holds.delete(hold);
      release();
    };
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((done, fail) => {
      this.server!.once('error', fail);
      this.server!.listen(port, '127.0.0.1', () => done());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get baseUrl(): string {
    if (this.port === undefined) throw new Error('FixtureServer not started');
    return `http://127.0.0.1:${this.port}`;
  }

  imageUrl(name: string, tag = ''): string {
    return `${this.baseUrl}/images/${name}${tag ? `?${tag}` : ''}`;
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const res of this.held) res.destroy();
    this.held.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const fixed = this.bodies.get(url.pathname);
    if (fixed && !fixed.distinct) {
      res.writeHead(200, {
        'Content-Type': fixed.contentType,
        'Content-Length': Buffer.byteLength(fixed.body),
      });
      res.end(fixed.body);
      return;
    }
    if (req.method !== 'POST') {
      const request = `${url.pathname}${url.search}`;
      this.imageRequests.push(request);
      const held = Promise.all(
        [...this.holds].filter((hold) => hold.which(request)).map((hold) => hold.released),
      );
      void held.then(() => this.later(this.imageDelayMs, () => this.serveImage(url, req, res)));
      return;
    }
    // When the request arrived (its body may take longer): a retry's gap is measured from attempt to attempt.
    const at = Date.now();
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const post: ReceivedPost = { path: url.pathname, at, headers: req.headers, body };
      this.posts.push(post);
      const script = this.scripts.get(url.pathname) ?? (() => 200);
      const reply = script(this.postsTo(url.pathname).length, post);
      if (reply === 'hang') {
        this.held.add(res);
        res.on('close', () => this.held.delete(res));
        return;
      }
      const { status, headers, delayMs } =
        typeof reply === 'number' ? { status: reply, headers: undefined, delayMs: 0 } : reply;
      this.later(delayMs ?? 0, () => {
        if (!res.destroyed) res.writeHead(status, headers).end();
      });
    });
  }

  private serveImage(url: URL, req: IncomingMessage, res: ServerResponse): void {
    if (res.destroyed) return;
    const source = `${url.pathname}${url.search}`;
    const counts = this.sourceCounts.get(source) ?? emptyCounts();
    this.sourceCounts.set(source, counts);
    counts.requests++;
    const conditional = req.headers['if-none-match'] ?? req.headers['if-modified-since'];
    if (conditional !== undefined) counts.conditional++;
    const override = this.overrides.get(source) ?? {};
    const image = this.imageOf(url, override.file);
    const status = this.imageStatus(source) ?? (image ? 200 : 404);
    if (!image || status !== 200) {
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(`status ${status}`);
      return;
    }
    const validators = override.noValidators
      ? {}
      : {
          ETag: `"${image.tag}-${image.size}"`,
          'Last-Modified': (override.modifiedAt ?? FIXTURES_MODIFIED_AT).toUTCString(),
        };
    if (isNotModified(req, validators)) {
      counts.notModified++;
      res.writeHead(304, validators).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': image.contentType, ...validators });
    counts.bodyBytes += image.size;
    image.send(res);
  }

  /**
   * The image a GET names: a body served `distinct`ly (its bytes, then the query), or a file of
   * test/fixtures/images (`file` replacing the one the path names); undefined when there is none.
   */
  private imageOf(
    url: URL,
    file?: string,
  ): { tag: string; size: number; contentType: string; send(res: ServerResponse): void } | undefined {
    const fixed = this.bodies.get(url.pathname);
    const suffix = fixed?.distinct || this.distinctImages ? url.search : '';
    const tagOf = (name: string) =>
      suffix ? `${name}-${createHash('sha256').update(suffix).digest('hex').slice(0, 16)}` : name;
    if (fixed && !file) {
      const send = (res: ServerResponse) => {
        res.write(fixed.body);
        res.end(suffix);
      };
      const size = Buffer.byteLength(fixed.body) + Buffer.byteLength(suffix);
      return { tag: tagOf(url.pathname.slice(1)), size, contentType: fixed.contentType, send };
    }
    const path = join(FIXTURES_DIR, basename(file ?? url.pathname));
    if (!url.pathname.startsWith('/images/') || !existsSync(path)) return undefined;
    const send = (res: ServerResponse) =>
      createReadStream(path)
        .on('end', () => res.end(suffix))
        .pipe(res, { end: false });
    const size = statSync(path).size + Buffer.byteLength(suffix);
    return { tag: tagOf(basename(path)), size, contentType: 'application/octet-stream', send };
  }

  private later(ms: number, work: () => void): void {
    if (ms <= 0) return work();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms);
    this.timers.add(timer);
  }
}

const emptyCounts = (): SourceCounts => ({ requests: 0, conditional: 0, notModified: 0, bodyBytes: 0 });

/** RFC 9110's order: If-None-Match decides when sent; else If-Modified-Since, by date. */
function isNotModified(
  req: IncomingMessage,
  validators: { ETag?: string; 'Last-Modified'?: string },
): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined)
    return (
      validators.ETag !== undefined &&
      ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === validators.ETag)
    );
  const ifModifiedSince = req.headers['if-modified-since'];
  if (ifModifiedSince === undefined || validators['Last-Modified'] === undefined) return false;
  return Date.parse(validators['Last-Modified']) <= Date.parse(ifModifiedSince);
}
