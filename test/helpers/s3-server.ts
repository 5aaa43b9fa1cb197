import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** The credentials s3rver accepts; the service reads them through the SDK's default chain (the environment). */
function useS3rverCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
}

/**
 * A real S3-compatible server (s3rver) on 127.0.0.1, port chosen by the OS, storing in a temporary folder,
 * with one bucket. `client` is a plain SDK client for checking what landed in the bucket.
 */
export class S3TestServer {
  readonly bucket = 'pixelmill-test';
  client!: S3Client;
  private server?: S3rver;
  private directory?: string;
  private port = 0;

  async start(): Promise<this> {
    useS3rverCredentials();
    this.directory = await mkdtemp(join(tmpdir(), 'pixelmill-s3-'));
    this.server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: this.directory,
      configureBuckets: [{ name: this.bucket, configs: [] }],
    });
    this.port = (await this.server.run()).port;
    this.client = new S3Client({ region: 'us-east-1', endpoint: this.endpoint, forcePathStyle: true });
    return this;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get listeningPort(): number {
    return this.port;
  }

  /** The service's configuration for this server (path-style, as s3rver needs). */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      STORAGE_DRIVER: 's3',
      S3_BUCKET: this.bucket,
      S3_ENDPOINT: this.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      ...extra,
    };
  }

  /** Every object key in the bucket. */
  async keys(): Promise<string[]> {
    const listed = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket }));
    return (listed.Contents ?? []).map((object) => object.Key!).sort();
  }

  async stop(): Promise<void> {
    this.client?.destroy();
    await this.server?.close();
    this.server = undefined;
    if (this.directory) await rm(this.directory, { recursive: true, force: true });
  }
}

/**
 * A TCP relay on 127.0.0.1 in front of another loopback server, whose state a test switches: `up` relays,
 * `down` cuts every connection at once (open ones too), as a store that went away does, and `hang` accepts
 * connections and never answers. Its own port never changes.
 */
export class SwitchableRelay {
  state: 'up' | 'down' | 'hang' = 'up';
  /** Connections cut because the relay was down. */
  refused = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly targetPort: number) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      this.track(client);
      if (this.state === 'down') {
        this.refused++;
        return void client.destroy();
      }
      if (this.state === 'hang') return;
      const upstream = this.track(connect(this.targetPort, '127.0.0.1'));
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    return this;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
  }

  set(state: SwitchableRelay['state']): void {
    this.state = state;
    if (state !== 'up') for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((done) => this.server?.close(done));
  }

  private track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    return socket;
  }
}
