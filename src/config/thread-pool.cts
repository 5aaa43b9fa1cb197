import { availableParallelism } from 'node:os';

/**
 * libuv's thread pool runs every file operation (multer's upload files, the CSV read, `sendFile`, local
 * storage, the readiness probe), `dns.lookup` (each download) and sharp's jobs: sharp runs each pipeline
 * on a pool thread from start to end (libvips adds `sharp.concurrency()` threads of its own). Image work
 * is therefore held to IMAGE_THREADS jobs (previews to PREVIEW_CONCURRENCY, image headers to
 * HEADER_READS), and the pool is sized so that IO_THREADS are always left for I/O: a client's slow AVIF encodes can fill the image threads, never
 * the pool. libuv reads UV_THREADPOOL_SIZE once, when the pool first starts; on Node 20 an ES module
 * entry starts it (the loader reads files through it) before any of its code runs, so the entry point is
 * this CommonJS-loaded pair: main.cts sizes the pool, then imports the application (server.ts).
 * Plain CommonJS with no import of the configuration: the configuration validates the same variables
 * (and this file's defaults) later, and a bad value stops the process there with a message naming it.
 */

/**
 * Image headers read at once (sharp's `metadata()`, a fraction of a millisecond each, before an image is
 * admitted): on a thread of their own, so an image thread only ever holds an encode.
 */
export const HEADER_READS = 1;

/** Threads left for file and network I/O beyond the image, header and preview threads: libuv's own default pool. */
export const IO_THREADS = 4;

/** The fewest I/O threads a configuration may leave (a hung DNS lookup holds one). */
export const MIN_IO_THREADS = 2;

/** Previews made at once (PREVIEW_CONCURRENCY) unless set. */
export const DEFAULT_PREVIEW_CONCURRENCY = 2;

/** libuv's ceiling for UV_THREADPOOL_SIZE. */
export const MAX_THREAD_POOL_SIZE = 1024;

/**
 * Image jobs per core (IMAGE_THREADS unless set). With one, a core idles from the end of one image's
 * sharp job until the main thread has started the next (its callback, the next pipeline built and
 * queued), and that wait grows with whatever else the main thread does: raw sharp alone makes 133 small
 * images/s with 2 jobs on 2 cores, 162 with 4 (`npm run bench`, phase 1). With two, a job is always
 * ready for a core that frees up; more bought nothing measurable and holds more memory.
 */
export const IMAGE_THREADS_PER_CORE = 2;

/** Image jobs in flight (IMAGE_THREADS) unless set: IMAGE_THREADS_PER_CORE per core. */
export function defaultImageThreads(): number {
  return IMAGE_THREADS_PER_CORE * Math.max(1, availableParallelism());
}

/** The pool size the entry point sets when the operator did not: image, header and preview threads plus IO_THREADS. */
export function threadPoolSizeFor(imageThreads: number, previewThreads: number): number {
  return Math.min(MAX_THREAD_POOL_SIZE, imageThreads + previewThreads + HEADER_READS + IO_THREADS);
}

function positiveInteger(value: string | undefined): number | undefined {
  const number = Number(value);
  return value !== undefined && value !== '' && Number.isInteger(number) && number >= 1 ? number : undefined;
}

/**
 * Sets UV_THREADPOOL_SIZE from IMAGE_THREADS and PREVIEW_CONCURRENCY unless the operator set it. Only
 * effective before the pool's first use: the first thing the entry point does.
 */
export function sizeThreadPool(env: Record<string, string | undefined> = process.env): void {
  if (env.UV_THREADPOOL_SIZE !== undefined && env.UV_THREADPOOL_SIZE !== '') return;
  env.UV_THREADPOOL_SIZE = String(
    threadPoolSizeFor(
      positiveInteger(env.IMAGE_THREADS) ?? defaultImageThreads(),
      positiveInteger(env.PREVIEW_CONCURRENCY) ?? DEFAULT_PREVIEW_CONCURRENCY,
    ),
  );
}
