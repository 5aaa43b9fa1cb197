/** Where output images live. The embedded default is local disk; an object store can take its place. */
export abstract class Storage {
  /** Stores the bytes under the key, replacing what was there, atomically. */
  abstract put(key: string, body: Buffer): Promise<void>;
  /** Removes everything stored under the prefix (e.g. a request's folder). */
  abstract removePrefix(prefix: string): Promise<void>;
  /** The absolute URL a client downloads the object from. */
  abstract publicUrl(key: string): string;
}
