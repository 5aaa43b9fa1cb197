import { AppConfig } from '../config/app-config.js';

/** One path segment of a key: no empty, "." or ".." segment, no separator, no character a URL must escape. */
const SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,255}$/;

/** A key is a relative path of safe segments (so it can leave neither STORAGE_DIR nor S3_PREFIX). */
export function isStorageKey(key: string): boolean {
  if (key.length === 0 || key.length > 1024) return false;
  return key.split('/').every((segment) => SEGMENT.test(segment));
}

export function requireStorageKey(key: string): string {
  if (!isStorageKey(key)) throw new Error(`not a storage key: ${JSON.stringify(key)}`);
  return key;
}

const CONTENT_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
  png: 'image/png',
};

/** The Content-Type an object is stored and served with, from its key's extension. */
export function contentTypeOf(key: string): string {
  const extension = /\.([A-Za-z0-9]+)$/.exec(key)?.[1].toLowerCase();
  return (extension && CONTENT_TYPES[extension]) || 'application/octet-stream';
}

/** Outputs never change under a key (a new output gets a new key), so caches may keep them for a year. */
export const OBJECT_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** `STORAGE_PUBLIC_URL/<key>` when set, else `PUBLIC_URL/files/<key>` (the API streams it from the store). */
export function publicUrlOf(config: AppConfig, key: string): string {
  const base = config.storage.publicUrl ?? `${config.server.publicUrl}/files`;
  return `${base}/${requireStorageKey(key).split('/').map(encodeURIComponent).join('/')}`;
}
