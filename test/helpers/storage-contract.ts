import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { StorageUnavailableError } from '../../src/storage/storage-unavailable.error.js';
import type { Storage } from '../../src/storage/storage.js';

/** One driver under test, on a fresh, empty store. */
interface StorageHarness {
  storage: Storage;
  /** Makes the store unavailable (the server stopped, the volume gone…). */
  breakStore(): Promise<void>;
  /** Every object key in the store (to show that nothing else was written). */
  keys(): Promise<string[]>;
  /**
   * False when the store itself does not replace objects atomically for readers (s3rver writes an object in
   * place, so a reader during a replacement is cut short; Amazon S3 and MinIO replace atomically). The driver
   * cannot add what the store lacks: only the sequential replacement is checked then.
   */
  atomicReplaceForReaders?: boolean;
  close(): Promise<void>;
}

/** Builds a harness on a fresh store; `env` is added to the service configuration (e.g. STORAGE_PUBLIC_URL). */
export type StorageHarnessFactory = (env?: Record<string, string>) => Promise<StorageHarness>;

const PUBLIC_URL = 'http://api.example.com:8080';

async function read(
  storage: Storage,
  key: string,
): Promise<{ bytes: Buffer; length: number; type: string } | undefined> {
  const object = await storage.open(key);
  if (!object) return undefined;
  return { bytes: await buffer(object.body), length: object.contentLength, type: object.contentType };
}

/** The behaviour every Storage driver must have; run once per driver. */
export function describeStorageContract(driver: string, makeHarness: StorageHarnessFactory): void {
  describe(`Storage contract: ${driver}`, () => {
    let harness: StorageHarness;
    let storage: Storage;

    beforeEach(async () => {
      harness = await makeHarness({ PUBLIC_URL });
      storage = harness.storage;
    });
    afterEach(() => harness.close());

    it('gives back the bytes put, with their length and a content type from the extension', async () => {
      const jpeg = randomBytes(70_000);
      await storage.put('request-1/image-1.jpg', jpeg);
      await storage.put('request-1/image-2.webp', Buffer.from('webp bytes'));
      expect(await read(storage, 'request-1/image-1.jpg')).toEqual({
        bytes: jpeg,
        length: jpeg.length,
        type: 'image/jpeg',
      });
      expect((await read(storage, 'request-1/image-2.webp'))?.type).toBe('image/webp');
    });

    it('streams a large object whole', async () => {
      const large = randomBytes(24 * 1024 * 1024);
      await storage.put('large/photo.jpg', large);
      const object = (await read(storage, 'large/photo.jpg'))!;
      expect(object.length).toBe(large.length);
      expect(object.bytes.equals(large)).toBe(true);
    });

    it('has nothing under a key never put', async () => {
      expect(await storage.open('request-1/never.jpg')).toBeUndefined();
      expect(await storage.open('never/never.jpg')).toBeUndefined();
      expect(await storage.read('request-1/never.jpg')).toBeUndefined();
    });

    it('reads an object back whole, as bytes', async () => {
      const jpeg = randomBytes(3 * 1024 * 1024);
      await storage.put('request-1/whole.jpg', jpeg);
      expect((await storage.read('request-1/whole.jpg'))?.equals(jpeg)).toBe(true);
    });

    it('replaces an object atomically: readers meanwhile see the old bytes or the new ones, whole', async () => {
      const before = Buffer.alloc(4 * 1024 * 1024, 0xaa);
      const after = Buffer.alloc(4 * 1024 * 1024, 0xbb);
      await storage.put('request-1/image.jpg', before);
      const replacing = storage.put('request-1/image.jpg', after);
      const concurrentReads = harness.atomicReplaceForReaders === false ? 0 : 6;
      const seen = await Promise.all(
        Array.from({ length: concurrentReads }, () => read(storage, 'request-1/image.jpg')),
      );
      await replacing;
      for (const object of seen) {
        expect(object).toBeDefined();
        expect(object!.bytes.equals(before) || object!.bytes.equals(after)).toBe(true);
        expect(object!.length).toBe(object!.bytes.length);
      }
      expect((await read(storage, 'request-1/image.jpg'))!.bytes.equals(after)).toBe(true);
      expect(await harness.keys()).toEqual(['request-1/image.jpg']);
    });

    it('removes an object; removing an absent one is fine', async () => {
      await storage.put('request-1/image.jpg', Buffer.from('x'));
      await storage.put('request-1/other.jpg', Buffer.from('y'));
      await storage.remove('request-1/image.jpg');
      expect(await storage.open('request-1/image.jpg')).toBeUndefined();
      await storage.remove('request-1/image.jpg');
      await storage.remove('nothing/here.jpg');
      expect((await read(storage, 'request-1/other.jpg'))?.bytes.toString()).toBe('y');
    });

    it('keeps keys under different prefixes apart', async () => {
      await storage.put('a/b/c.jpg', Buffer.from('abc'));
      await storage.put('a/c.jpg', Buffer.from('ac'));
      await storage.put('b/c.jpg', Buffer.from('bc'));
      expect((await read(storage, 'a/b/c.jpg'))?.bytes.toString()).toBe('abc');
      expect((await read(storage, 'a/c.jpg'))?.bytes.toString()).toBe('ac');
      expect((await read(storage, 'b/c.jpg'))?.bytes.toString()).toBe('bc');
      expect(await harness.keys()).toEqual(['a/b/c.jpg', 'a/c.jpg', 'b/c.jpg']);
    });

    it.each([
      '../escape.jpg',
      'a/../../escape.jpg',
      '/etc/passwd',
      'a//b.jpg',
      './a.jpg',
      'a/',
      '',
      'a\\..\\b.jpg',
      'a/%2e%2e/b.jpg',
      'a b.jpg',
      'a/b.jpg\u0000',
    ])('refuses the key %j without touching the store', async (key) => {
      await expect(storage.put(key, Buffer.from('x'))).rejects.toThrow(/not a storage key/);
      await expect(storage.put(key, Buffer.from('x'))).rejects.not.toBeInstanceOf(StorageUnavailableError);
      await expect(storage.remove(key)).rejects.toThrow(/not a storage key/);
      expect(await storage.open(key)).toBeUndefined();
      expect(await storage.read(key)).toBeUndefined();
      expect(() => storage.publicUrl(key)).toThrow(/not a storage key/);
      expect(await harness.keys()).toEqual([]);
    });

    it('gives output URLs under PUBLIC_URL/files when STORAGE_PUBLIC_URL is not set', () => {
      expect(storage.publicUrl('request-1/image-1.jpg')).toBe(`${PUBLIC_URL}/files/request-1/image-1.jpg`);
    });

    it('gives output URLs under STORAGE_PUBLIC_URL when it is set', async () => {
      const other = await makeHarness({ PUBLIC_URL, STORAGE_PUBLIC_URL: 'https://cdn.example.com/outputs/' });
      try {
        expect(other.storage.publicUrl('request-1/image-1.jpg')).toBe(
          'https://cdn.example.com/outputs/request-1/image-1.jpg',
        );
      } finally {
        await other.close();
      }
    });

    it('is writable while the store is up; when it is down, the probe and writes fail as unavailable', async () => {
      await expect(storage.checkWritable()).resolves.toBeUndefined();
      // A check whose deadline has passed answers unavailable at once.
      await expect(storage.checkWritable(AbortSignal.abort())).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      expect(await harness.keys()).not.toContain('request-1/image.jpg');
      await harness.breakStore();
      await expect(storage.checkWritable()).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(storage.put('request-1/image.jpg', Buffer.from('x'))).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
    });
  });
}
