import { Injectable } from '@nestjs/common';
import { ConcurrencyLimit } from '../common/concurrency-limit.js';
import { MemoryBudget } from '../common/memory-budget.js';
import { AppConfig } from '../config/app-config.js';
import { isCostly } from '../config/image-cost.js';
import { HEADER_READS } from '../config/thread-pool.cjs';
import type { OutputOptions } from '../config/output-options.js';
import { imageTimeout } from './image-error.js';
import type { Rendition } from '../config/output-presets.js';
import type { EncodedImage } from './image-encoding.js';
import { type ImageHeader, ImagePipeline } from './image-pipeline.js';
import { type RenditionSink, RenditionPipeline } from './renditions/rendition-pipeline.js';
import { renditionsMemoryOf, workingMemoryOf } from './working-memory.js';

/**
 * Makes images within the machine's means, whoever sent them and whatever they cost:
 *
 * - **Threads**: at most IMAGE_THREADS sharp jobs at once (each holds one of libuv's pool threads from
 *   start to end), so the pool's other threads (UV_THREADPOOL_SIZE, sized by the entry point) are always
 *   free for file and network I/O: uploads, `/files`, storage, the readiness probe, DNS.
 * - **Costly outputs**: images written as AVIF or with `quality=auto` (seconds to minutes each; an AVIF
 *   encode cannot be stopped) take at most COSTLY_IMAGE_THREADS of those threads, first come first
 *   served, and are charged at most their threads' share of the memory budget, so the other threads and
 *   the rest of the budget stay free for cheap outputs: one client's slow encodes never hold them all.
 *   (The peak is then bounded by the largest costly image beside the cheap outputs' share.)
 * - **Memory**: each image's header is read first (no pixel decoded: a JPEG's or a PNG's in JavaScript,
 *   any other by sharp, HEADER_READS at once, on a pool thread of their own, so an image thread is
 *   never held by a header read), its working memory estimated
 *   (workingMemoryOf), and it waits until that fits in IMAGE_MEMORY_MB beside the images being made;
 *   one larger than the whole budget runs alone. The peak is bounded whatever the mix of sizes,
 *   formats and options.
 * - **Time**: once it has its thread and memory, an image has IMAGE_TIMEOUT_MS; past it the image fails
 *   with `image_timeout` and its worker moves on. libvips' evaluation is aborted by sharp's timeout
 *   (see ImagePipeline), which frees the thread within a second; an AVIF encode under way cannot be
 *   stopped, so the image's thread and memory stay counted until the encode returns, never lent twice.
 *
 * Waiting for memory or a thread is not part of the deadline: the lease of a waiting image is renewed
 * like any other, and CONCURRENCY bounds how many wait.
 */
@Injectable()
export class ImageAdmission {
  private readonly threads: ConcurrencyLimit;
  private readonly headerReads = new ConcurrencyLimit(HEADER_READS);
  private readonly costlyThreads: ConcurrencyLimit;
  /** The share of the memory budget costly images are charged at most: their threads' share. */
  private readonly costlyMemory: number;
  private readonly memory: MemoryBudget;

  constructor(
    private readonly pipeline: ImagePipeline,
    private readonly renditions: RenditionPipeline,
    private readonly config: AppConfig,
  ) {
    const { imageThreads, costlyImageThreads, imageMemoryBytes } = config.workers;
    this.threads = new ConcurrencyLimit(imageThreads);
    this.costlyThreads = new ConcurrencyLimit(costlyImageThreads);
    this.memory = new MemoryBudget(imageMemoryBytes);
    this.costlyMemory = Math.floor((imageMemoryBytes * costlyImageThreads) / imageThreads);
  }

  encode(input: Buffer, options: OutputOptions): Promise<EncodedImage> {
    return this.admit(
      input,
      options,
      (header) => workingMemoryOf(header, options),
      (deadline) => this.pipeline.encode(input, options, deadline),
    );
  }

  /**
   * Every rendition of the image from one decode, each given to `sink` (to be stored) before the next is
   * made, admitted as one piece of work: its memory counts the prepared copy, and is held until the
   * last rendition is stored.
   */
  encodeRenditions(
    input: Buffer,
    options: OutputOptions & { renditions: Rendition[] },
    sink: RenditionSink,
  ): Promise<void> {
    return this.admit(
      input,
      options,
      (header) => renditionsMemoryOf(header, options.renditions),
      (deadline) => this.renditions.encode(input, options.renditions, sink, deadline),
    );
  }

  private async admit<T>(
    input: Buffer,
    options: OutputOptions,
    estimate: (header: ImageHeader) => number,
    make: (deadline: number) => Promise<T>,
  ): Promise<T> {
    const header =
      this.pipeline.parsedHeader(input) ?? (await this.headerReads.run(() => this.pipeline.header(input)));
    const costly = isCostly(options);
    const needed = estimate(header);
    const memory = costly ? Math.min(needed, this.costlyMemory) : needed;
    return new Promise<T>((resolve, reject) => {
      // Settles when the encode returns, not at the deadline: the image's thread, memory and (for a
      // costly output) costly slot stay counted until then, so none is lent twice.
      const work = () =>
        this.memory.run(memory, () =>
          this.threads.run(async () => {
            const timeoutMs = this.config.workers.imageTimeoutMs;
            const timer = setTimeout(() => reject(imageTimeout(timeoutMs)), timeoutMs);
            try {
              resolve(await make(Date.now() + timeoutMs));
            } catch (error) {
              reject(error as Error);
            } finally {
              clearTimeout(timer);
            }
          }),
        );
      (costly ? this.costlyThreads.run(work) : work()).catch(reject);
    });
  }
}
