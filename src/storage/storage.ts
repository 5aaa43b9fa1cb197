/** Where output images live. The embedded default is local disk; an object store can take its place. */
export abstract class Storage {
  /** Stores the bytes under the key, replacing what was there, atomically. */
  abstract put(key: string, body: Buffer): Promise<void>;
  /** Removes the object, if there is one. */
  abstract remove(key: string): Promise<void>;
  /** Resolves when an object can be written and removed now; throws (saying why) when it cannot. For readiness. */
  abstract checkWritable(): Promise<void>;
  /** The absolute URL a client downloads the object from. */
  abstract publicUrl(key: string): string;
}
