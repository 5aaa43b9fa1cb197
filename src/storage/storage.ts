import type { Readable } from 'node:stream';

/** An object read back from storage, streamed. */
export interface StoredObject {
  body: Readable;
  contentLength: number;
  contentType: string;
}

/**
 * Where output images live: local disk (the embedded default) or an S3-compatible object store. Keys are
 * relative paths of safe segments (see isStorageKey); any other key is refused before the store is touched.
 * A store that cannot be reached or written fails with StorageUnavailableError: the caller may try again later.
 */
export abstract class Storage {
  /**
   * Stores the bytes under the key, replacing what was there, atomically: readers see the old object or the
   * new one, never part of one, and a failed or killed write leaves nothing at the key.
   */
  abstract put(key: string, body: Buffer): Promise<void>;
  /** Removes the object, if there is one. */
  abstract remove(key: string): Promise<void>;
  /** Streams the object; undefined when there is none (or the key is not a storage key). */
  abstract open(key: string): Promise<StoredObject | undefined>;
  /** The object's bytes, whole (for objects the service reads itself, such as an output to make a preview of). */
  abstract read(key: string): Promise<Buffer | undefined>;
  /** The absolute URL a client downloads the object from. */
  abstract publicUrl(key: string): string;
  /**
   * Resolves when the store takes writes now; rejects with StorageUnavailableError (saying why) when not, or
   * when `signal` aborts first (a readiness check's deadline: a hanging store would otherwise take every retry).
   */
  abstract checkWritable(signal?: AbortSignal): Promise<void>;
}
