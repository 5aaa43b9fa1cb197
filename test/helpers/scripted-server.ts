import { createReadStream, existsSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { FIXTURES_DIR } from './fixture-server.js';

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
export type ReplyScript = (attempt: number, post: ReceivedPost) => ScriptedReply;

/**
 * A local HTTP server for durability tests, more scriptable than FixtureServer:
 * - GET /images/<fixture>?<anything> serves a fixture after `imageDelayMs`, or answers the status
 *   `imageStatus` gives for it instead; every request is recorded with its query string;
 * - POSTs to any other path are recorded per path and answered by that path's script (default 200).
 * It can listen on a given port, so a "receiver that is down" is a reserved port nobody listens on yet.
 */
export class ScriptedServer {
  readonly posts: ReceivedPost[] = [];
  readonly imageRequests: string[] = [];
  imageDelayMs = 0;
  /** A status to answer instead of the image at `/images/<name>?<query>`; undefined serves the fixture. */
  imageStatus: (pathAndQuery: string) => number | undefined = () => undefined;
  private readonly scripts = new Map<string, ReplyScript>();
  private readonly held = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server?: Server;
  private port?: number;

  /** Sets how POSTs to `path` are answered. */
  script(path: string, reply: ReplyScript): this {
    this.scripts.set(path, reply);
    return this;
  }

  /** POSTs answered `hang` whose connection is still open (none of them has ended). */
  get holding(): number {
    return this.held.size;
  }

  /** The POSTs received on one path, in order. */
  postsTo(path: string): ReceivedPost[] {
    return this.posts.filter((post) => post.path === path);
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 1_000;
    await new Promise<void>((done, fail) => {
      this.server!.once('error', fail);
      this.server!.listen(port, '127.0.0.1', () => done());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get baseUrl(): string {
    if (this.port === undefined) throw new Error('ScriptedServer not started');
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
    const url = new URL(req.url ?? '/', 'http://scripted');
    if (req.method === 'GET' && url.pathname.startsWith('/images/')) {
      this.imageRequests.push(`${url.pathname}${url.search}`);
      this.later(this.imageDelayMs, () => this.serveImage(url, res));
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const post: ReceivedPost = { path: url.pathname, at: Date.now(), headers: req.headers, body };
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

  private serveImage(url: URL, res: ServerResponse): void {
    if (res.destroyed) return;
    const status = this.imageStatus(`${url.pathname}${url.search}`);
    if (status !== undefined) {
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(`status ${status}`);
      return;
    }
    const file = join(FIXTURES_DIR, basename(url.pathname));
    if (!existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    createReadStream(file).pipe(res);
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
