import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { basename, join } from 'node:path';
import { FIXTURES_DIR } from './fixture-server.js';

/** What the server knows about one response when its connection closed. */
export interface ResponseRecord {
  path: string;
  bytesSent: number;
  /** The whole body was sent (false: the client hung up first). */
  completed: boolean;
  /** From the request arriving to the connection closing. */
  durationMs: number;
}

/**
 * A local supplier that misbehaves on purpose, on 127.0.0.1 only (and, with `ipv6`, on ::1 at the
 * same port). Every request is recorded. Routes (any query string is ignored, so URLs can be made
 * distinct):
 *
 * - `/images/<fixture>`: the fixture file, with Content-Length
 * - `/chunked/<fixture>`: the fixture file, chunked (no Content-Length)
 * - `/status/<code>`: that status, always
 * - `/flaky/<n>/<fixture>`: 500 for the first n requests of this URL, then the fixture
 * - `/retry-after/<value>`: 503 with `Retry-After: <value>` (URI-decoded), always
 * - `/trickle`: 200 image/jpeg headers at once, then one byte every 100 ms, forever
 * - `/declared-huge`: `Content-Length: 1 GiB`, then nothing (a client that waits for the body times out)
 * - `/endless`: chunked bytes as fast as the client reads them, forever
 * - `/redirect-loop`: 302 to itself, forever
 * - `/reset`: the connection is destroyed without an answer
 * - `/html-as-jpeg`: an HTML error page served as image/jpeg
 * - `/truncate/<bytes>/<fixture>`: the first <bytes> bytes of the fixture, as a complete response
 */
export class HostileServer {
  readonly requests: string[] = [];
  readonly responses: ResponseRecord[] = [];
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly hits = new Map<string, number>();
  private port = 0;

  async start(options: { ipv6?: boolean } = {}): Promise<this> {
    const main = this.createOne();
    await new Promise<void>((done) => main.listen(0, '127.0.0.1', done));
    this.port = (main.address() as AddressInfo).port;
    if (options.ipv6) {
      const v6 = this.createOne();
      await new Promise<void>((done) => {
        v6.once('error', () => done()); // no IPv6 here: the IPv4 server is the one that counts
        v6.listen(this.port, '::1', done);
      });
    }
    return this;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get portNumber(): number {
    return this.port;
  }

  url(path: string, tag = ''): string {
    return `${this.baseUrl}${path}${tag ? `?${tag}` : ''}`;
  }

  /** How many requests reached a path (query string ignored). */
  hitsOf(path: string): number {
    return this.requests.filter((seen) => seen === path).length;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      this.servers
        .filter((server) => server.listening)
        .map((server) => new Promise((done) => server.close(done))),
    );
  }

  private createOne(): Server {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.servers.push(server);
    return server;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://hostile');
    const path = url.pathname;
    this.requests.push(path);
    const key = `${path}${url.search}`;
    const hit = (this.hits.get(key) ?? 0) + 1;
    this.hits.set(key, hit);

    const record: ResponseRecord = { path, bytesSent: 0, completed: false, durationMs: 0 };
    const started = Date.now();
    res.on('finish', () => (record.completed = true));
    res.on('close', () => {
      record.durationMs = Date.now() - started;
      this.responses.push(record);
    });
    const send = (status: number, body: Buffer, headers: Record<string, string | number> = {}) => {
      record.bytesSent = body.length;
      res.writeHead(status, headers).end(body);
    };
    const fixture = (name: string) => readFileSync(join(FIXTURES_DIR, basename(name)));

    const [, route, ...rest] = path.split('/');
    switch (route) {
      case 'images': {
        const body = fixture(rest.join('/'));
        return send(200, body, { 'Content-Type': 'image/jpeg', 'Content-Length': body.length });
      }
      case 'chunked': {
        const body = fixture(rest.join('/'));
        res.writeHead(200, { 'Content-Type': 'image/jpeg' });
        for (let offset = 0; offset < body.length; offset += 16 * 1024)
          res.write(body.subarray(offset, offset + 16 * 1024));
        record.bytesSent = body.length;
        res.end();
        return;
      }
      case 'status':
        return send(Number(rest[0]), Buffer.from(`status ${rest[0]}`), { 'Content-Type': 'text/plain' });
      case 'retry-after':
        return send(503, Buffer.from('come back later'), {
          'Content-Type': 'text/plain',
          'Retry-After': decodeURIComponent(rest[0]),
        });
      case 'flaky':
        if (hit <= Number(rest[0]))
          return send(500, Buffer.from('try again'), { 'Content-Type': 'text/plain' });
        return send(200, fixture(rest.slice(1).join('/')), { 'Content-Type': 'image/jpeg' });
      case 'trickle': {
        res.writeHead(200, { 'Content-Type': 'image/jpeg' }).flushHeaders();
        const timer = setInterval(() => {
          res.write(Buffer.from([0xff]));
          record.bytesSent++;
        }, 100);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case 'declared-huge':
        res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': 1024 ** 3 }).flushHeaders();
        return;
      case 'endless': {
        res.writeHead(200, { 'Content-Type': 'image/jpeg' });
        const chunk = Buffer.alloc(64 * 1024, 0xff);
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) record.bytesSent += chunk.length;
          if (!res.destroyed) {
            record.bytesSent += chunk.length;
            res.once('drain', pump);
          }
        };
        pump();
        return;
      }
      case 'redirect-loop':
        return send(302, Buffer.alloc(0), { Location: `/redirect-loop${url.search}` });
      case 'reset':
        req.socket.destroy();
        return;
      case 'html-as-jpeg':
        return send(
          200,
          Buffer.from('<!doctype html><html><body><h1>Temporarily unavailable</h1></body></html>'),
          { 'Content-Type': 'image/jpeg' },
        );
      case 'truncate':
        return send(200, fixture(rest.slice(1).join('/')).subarray(0, Number(rest[0])), {
          'Content-Type': 'image/jpeg',
        });
      default:
        return send(404, Buffer.from('not found'), { 'Content-Type': 'text/plain' });
    }
  }
}
