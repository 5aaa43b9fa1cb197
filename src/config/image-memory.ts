import { totalmem } from 'node:os';

const MiB = 1024 * 1024;

/**
 * Working memory per image thread by default: with the default two threads a core (see
 * IMAGE_THREADS_PER_CORE), 256 MiB a core, what a 36 MP photo needs at the default output (about
 * 7 bytes a pixel: libjpeg keeps every DCT coefficient to optimise its Huffman tables). Every core can
 * then work on a large photo at once, while an image at MAX_IMAGE_PIXELS (100 MP: ~700 MB as JPEG)
 * runs alone.
 */
const MEMORY_PER_IMAGE_THREAD = 128 * MiB;

/** The memory this process may use: its cgroup's limit when it has one (containers), else the machine's. */
function memoryLimitBytes(): number {
  const total = totalmem();
  // Node 20 reports an unconstrained cgroup as a huge number, Node 24 as 0.
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < total ? constrained : total;
}

/**
 * IMAGE_MEMORY_MB's default: MEMORY_PER_IMAGE_THREAD per image thread, and never more than a quarter
 * of the memory limit (the rest is for the process itself, uploads, the page cache and neighbours). Not
 * a fraction of the machine alone: the working memory that helps is what the image threads can use at
 * once, and more only lets large images pile up.
 */
export function defaultImageMemoryBytes(imageThreads: number, limit = memoryLimitBytes()): number {
  return Math.min(imageThreads * MEMORY_PER_IMAGE_THREAD, Math.floor(limit / 4));
}
