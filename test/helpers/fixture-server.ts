import { createReadStream, existsSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { basename, join, resolve } from 'node:path';

export const FIXTURES_DIR = resolve(import.meta.dirname, '../fixtures/images');

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One local HTTP server per suite: serves test/fixtures/images under /images/<name>
 * (any query string ignored, so URLs can be made distinct), records webhooks POSTed to /webhook
 * and serves the HTML `pages` it is given.
 * `webhookResponder` decides each webhook's answer (default 200).
 */
export class FixtureServer {
  readonly webhooks: ReceivedWebhook[] = [];
  readonly imageRequests: string[] = [];
  webhookResponder: (attempt: number) => number = () => 200;
  /** Delay before each image response, e.g. to keep work in flight. */
  imageDelayMs = 0;
  /** A status to answer instead of the image (e.g. 404 until a test changes its mind); undefined serves it. */
  imageResponder: (name: string) => number | undefined = () => undefined;
  /** HTML pages to serve by path (a page of another origin, for browser tests). */
  readonly pages = new Map<string, string>();
  private server?: Server;
  private held?: Promise<void>;
  private holds: (request: string) => boolean = () => true;

  /**
   * Holds the image answers (requests are recorded, then wait) until the returned function is called:
   * every one, or those whose path and query `which` picks.
   */
  holdImages(which: (request: string) => boolean = () => true): () => void {
    let release!: () => void;
    this.held = new Promise<void>((done) => (release = done));
    this.holds = which;
    return () => {
      this.held = undefined;
      release();
    };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fixture');
      if (req.method === 'POST' && url.pathname === '/webhook') {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => (body += chunk));
        req.on('end', () => {
          this.webhooks.push({ headers: req.headers, body });
          res.writeHead(this.webhookResponder(this.webhooks.length)).end();
        });
        return;
      }
      const page = this.pages.get(url.pathname);
      if (page !== undefined) {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
        return;
      }
      this.imageRequests.push(url.pathname + url.search);
      const held = (this.holds(url.pathname + url.search) && this.held) || Promise.resolve();
      void held.then(() =>
        setTimeout(() => {
          const file = join(FIXTURES_DIR, basename(url.pathname));
          const status =
            this.imageResponder(basename(url.pathname)) ??
            (url.pathname.startsWith('/images/') && existsSync(file) ? 200 : 404);
          if (status !== 200) {
            res.writeHead(status, { 'Content-Type': 'text/plain' }).end(`status ${status}`);
            return;
          }
          res.writeHead(200, { 'Content-Type': 'image/jpeg' });
          createReadStream(file).pipe(res);
        }, this.imageDelayMs),
      );
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    return this;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  imageUrl(name: string, tag = ''): string {
    return `${this.baseUrl}/images/${name}${tag ? `?${tag}` : ''}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((done) => this.server?.close(done));
  }
}
