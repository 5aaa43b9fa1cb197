import { CreateBucketCommand, DeleteBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { S3TestServer, SwitchableRelay } from '../../test/helpers/s3-server.js';
import { describeStorageContract } from '../../test/helpers/storage-contract.js';
import { loadConfig } from '../config/app-config.js';
import { S3Storage } from './s3-storage.js';
import { StorageUnavailableError } from './storage-unavailable.error.js';

/** The driver on s3rver, through the SDK's default credential chain; short timeouts so a dead store fails soon. */
function s3Storage(endpoint: string, bucket: string, env: Record<string, string> = {}): S3Storage {
  return new S3Storage(
    loadConfig({
      STORAGE_DRIVER: 's3',
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_TIMEOUT_MS: '1000',
      ...env,
    }),
  );
}

describeStorageContract('s3 (s3rver)', async (env = {}) => {
  const server = await new S3TestServer().start();
  const storage = s3Storage(server.endpoint, server.bucket, env);
  return {
    storage,
    atomicReplaceForReaders: false,
    breakStore: () => server.stop(),
    // The probe object is the driver's own; outputs are everything else.
    keys: async () => (await server.keys()).filter((key) => key !== '.pixelmill-probe'),
    async close() {
      storage.onApplicationShutdown();
      await server.stop();
    },
  };
});

describeStorageContract('s3 (s3rver) under S3_PREFIX', async (env = {}) => {
  const server = await new S3TestServer().start();
  const storage = s3Storage(server.endpoint, server.bucket, { S3_PREFIX: 'catalog/outputs', ...env });
  return {
    storage,
    atomicReplaceForReaders: false,
    breakStore: () => server.stop(),
    async keys() {
      const keys = await server.keys();
      // Nothing lands outside the prefix.
      expect(keys.filter((key) => !key.startsWith('catalog/outputs/'))).toEqual([]);
      return keys
        .map((key) => key.slice('catalog/outputs/'.length))
        .filter((key) => key !== '.pixelmill-probe');
    },
    async close() {
      storage.onApplicationShutdown();
      await server.stop();
    },
  };
});

describe('S3Storage', () => {
  let server: S3TestServer;
  beforeEach(async () => {
    server = await new S3TestServer().start();
  });
  afterEach(() => server.stop());

  it('stores objects under S3_PREFIX with their Content-Type and a long immutable Cache-Control', async () => {
    const storage = s3Storage(server.endpoint, server.bucket, { S3_PREFIX: 'outputs' });
    await storage.put('request-1/image-1.jpg', Buffer.from('jpeg'));
    const head = await server.client.send(
      new HeadObjectCommand({ Bucket: server.bucket, Key: 'outputs/request-1/image-1.jpg' }),
    );
    expect(head).toMatchObject({
      ContentType: 'image/jpeg',
      CacheControl: 'public, max-age=31536000, immutable',
      ContentLength: 4,
    });
    storage.onApplicationShutdown();
  });

  it('is unavailable while its bucket is missing, and writable again once it exists', async () => {
    const storage = s3Storage(server.endpoint, 'not-yet');
    await expect(storage.checkWritable()).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(storage.checkWritable()).rejects.toThrow(/NoSuchBucket/);
    await expect(storage.put('r/a.jpg', Buffer.from('a'))).rejects.toBeInstanceOf(StorageUnavailableError);
    // A missing bucket is an outage, not a missing file (404 on /files would be a lie).
    await expect(storage.open('r/a.jpg')).rejects.toBeInstanceOf(StorageUnavailableError);
    await server.client.send(new CreateBucketCommand({ Bucket: 'not-yet' }));
    await storage.checkWritable();
    await storage.put('r/a.jpg', Buffer.from('a'));
    expect(await storage.open('r/a.jpg')).toBeDefined();
    await storage.remove('r/a.jpg');
    await storage.remove('.pixelmill-probe');
    await server.client.send(new DeleteBucketCommand({ Bucket: 'not-yet' }));
    storage.onApplicationShutdown();
  });

  it('gives up on a store that accepts connections and never answers, as unavailable', async () => {
    const relay = await new SwitchableRelay(server.listeningPort).start();
    const storage = s3Storage(relay.endpoint, server.bucket, { S3_TIMEOUT_MS: '200' });
    await storage.put('r/a.jpg', Buffer.from('a'));
    relay.set('hang');
    await expect(storage.put('r/b.jpg', Buffer.from('b'))).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(storage.open('r/a.jpg')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(storage.checkWritable()).rejects.toBeInstanceOf(StorageUnavailableError);
    // A readiness check gives up at its own deadline, not after every retry of S3_TIMEOUT_MS.
    const patient = s3Storage(relay.endpoint, server.bucket, { S3_TIMEOUT_MS: '600000' });
    await expect(patient.checkWritable(AbortSignal.timeout(300))).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
    patient.onApplicationShutdown();
    relay.set('up');
    await storage.put('r/b.jpg', Buffer.from('b'));
    expect(await server.keys()).toEqual(['r/a.jpg', 'r/b.jpg']);
    storage.onApplicationShutdown();
    await relay.stop();
  });

  it('retries a connection cut once by itself (the SDK retry strategy), so one blip fails nothing', async () => {
    const relay = await new SwitchableRelay(server.listeningPort).start();
    const storage = s3Storage(relay.endpoint, server.bucket);
    relay.set('down');
    const putting = storage.put('r/a.jpg', Buffer.from('a'));
    setTimeout(() => relay.set('up'), 50).unref();
    await putting;
    expect(await server.keys()).toEqual(['r/a.jpg']);
    storage.onApplicationShutdown();
    await relay.stop();
  });
});
