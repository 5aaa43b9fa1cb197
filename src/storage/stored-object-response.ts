import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { OBJECT_CACHE_CONTROL } from './storage-key.js';
import type { StoredObject } from './storage.js';

/** The OpenAPI descriptions of the answers of the routes that serve stored objects. */
export const FILE_NOT_FOUND = { description: 'No such file', message: 'file not found' };
export const STORAGE_UNREADABLE = {
  description: 'The store cannot be read right now',
  message: 'storage unavailable; try again later',
};

/**
 * Answers with a stored object (an output or a preview): its type and length, cached for a year (a key
 * never changes content), and its body unless the request is a HEAD.
 */
export async function sendStoredObject(file: StoredObject, res: Response): Promise<void> {
  res.status(200).set({
    'Content-Type': file.contentType,
    'Content-Length': String(file.contentLength),
    'Cache-Control': OBJECT_CACHE_CONTROL,
    'X-Content-Type-Options': 'nosniff',
  });
  if (res.req.method === 'HEAD') {
    file.body.destroy(); // the headers are the answer: do not read the object
    res.end();
    return;
  }
  // A client that goes away, or a store that fails mid-stream, ends both streams (the response is cut short).
  await pipeline(file.body, res).catch(() => undefined);
}
