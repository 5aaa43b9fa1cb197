import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import type { OutputOptions } from '../src/config/output-options.js';
import {
  CpuWatch,
  log,
  machineBusyMs,
  mainThreadCpuMs,
  round,
  nodeThreadsCpuMs,
  nodeThreadsCpuSince,
} from './measure.js';
import type { Fixture } from './lib/fixtures.js';
import { OPTIONS } from './lib/options.js';
import { makeTempDir } from './lib/temp-dirs.js';
import { table } from './lib/report.js';

/**
 * Phase 1, the ceiling: raw sharp as a user would script it (decode → autoOrient() → the default
 * output format and quality, input in memory) at concurrency 1/2/4/8, the best level counting; beside
 * it, for information, the service's own ImagePipeline in the same loop at that level, and the I/O
 * floor (bench/io-floor.ts): raw sharp between a download and a file write, as a minimal service would.
 */

type CeilingLevel = {
  concurrency: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  cpuMsPerImage: number;
  /** CPU of this process's main thread per image: what sharp itself costs there (building and starting a pipeline). */
  mainThreadCpuMsPerImage: number;
  /** CPU of Node's threads per image (nodeThreadsCpuMs: libuv's pool, where sharp encodes); the I/O floor does not measure it. */
  nodeThreadsCpuMsPerImage?: number;
  otherCpuShare: number;
};

export interface CeilingResult {
  image: string;
  megapixels: number;
  levels: CeilingLevel[];
  /** The best level measured again after the end-to-end runs (background load comes and goes). */
  again?: CeilingLevel;
  /** The best of all of the above: what the ratios divide by. */
  best: CeilingLevel;
  /** For information: the service's own ImagePipeline in the same loop, at the best level's concurrency. */
  servicePipeline?: CeilingLevel;
  /** For information: raw sharp between a download and a file write, in a child process (measureIoFloor). */
  ioFloor?: CeilingLevel;
}

/** One image in memory to its output: raw sharp (the ceiling) or the service's pipeline. */
export type Encode = (bytes: Buffer) => Promise<unknown>;

/**
 * The ceiling: what a user would write by hand with sharp for the service's default output (its format
 * and fixed quality; JPEG q50 unless OUTPUT_FORMAT / OUTPUT_QUALITY say otherwise): decode, orient, encode.
 * Nothing the service adds (flatten, sRGB, the pixel limit, downloads, files, the database) is in it.
 */
export function rawSharp({ format, quality }: Pick<OutputOptions, 'format' | 'quality'>): Encode {
  const fixed = quality === 'auto' ? 50 : quality;
  return (bytes) => sharp(bytes).autoOrient()[format]({ quality: fixed }).toBuffer();
}

async function measureLevel(encode: Encode, fixture: Fixture, concurrency: number): Promise<CeilingLevel> {
  let images = 0;
  const cpuBefore = process.cpuUsage();
  const mainThreadBefore = mainThreadCpuMs(process.pid) ?? NaN;
  const nodeThreadsBefore = nodeThreadsCpuMs(process.pid);
  const watch = new CpuWatch();
  const start = performance.now();
  const deadline = start + OPTIONS.ceilingSeconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await encode(fixture.bytes);
        images++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const mainThreadMs = (mainThreadCpuMs(process.pid) ?? NaN) - mainThreadBefore;
  const nodeThreadsMs = nodeThreadsCpuSince(nodeThreadsBefore, nodeThreadsCpuMs(process.pid));
  log(`ceiling ${fixture.name} c=${concurrency}: ${round(images / seconds, 1)} images/s`);
  return {
    concurrency,
    images,
    seconds: round(seconds, 3),
    imagesPerSecond: round(images / seconds, 1),
    cpuMsPerImage: round((cpu.user + cpu.system) / 1000 / images, 1),
    mainThreadCpuMsPerImage: round(mainThreadMs / images, 2),
    nodeThreadsCpuMsPerImage: round(nodeThreadsMs / images, 1),
    otherCpuShare: watch.read().otherShare,
  };
}

const fastest = (levels: CeilingLevel[]) =>
  levels.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a));

export async function measureCeiling(
  encode: Encode,
  pipeline: Encode,
  fixture: Fixture,
): Promise<CeilingResult> {
  for (let i = 0; i < 3; i++) await encode(fixture.bytes); // warm libvips, the JIT and sharp's cache
  const levels: CeilingLevel[] = [];
  for (const concurrency of OPTIONS.ceilingConcurrencies)
    levels.push(await measureLevel(encode, fixture, concurrency));
  const best = fastest(levels);
  for (let i = 0; i < 3; i++) await pipeline(fixture.bytes);
  return {
    image: fixture.name,
    megapixels: round((fixture.width * fixture.height) / 1e6, 2),
    levels,
    best,
    servicePipeline: await measureLevel(pipeline, fixture, best.concurrency),
  };
}

/** Measures the best level once more and keeps the faster figure: other processes only ever slow a run down. */
export async function remeasureCeiling(
  encode: Encode,
  fixture: Fixture,
  ceiling: CeilingResult,
): Promise<void> {
  ceiling.again = await measureLevel(encode, fixture, ceiling.best.concurrency);
  ceiling.best = fastest([...ceiling.levels, ceiling.again]);
}

const IO_FLOOR = resolve(import.meta.dirname, 'io-floor.ts');

/**
 * The I/O floor of `fixture` (see bench/io-floor.ts), downloaded from `url`: in a child process, as the
 * service runs, with the service's CONCURRENCY and IMAGE_THREADS, for OPTIONS.ceilingSeconds.
 */
export async function measureIoFloor(
  fixture: Fixture,
  url: string,
  { concurrency, imageThreads }: { concurrency: number; imageThreads: number },
  { format, quality }: OutputOptions,
): Promise<CeilingLevel> {
  const env = {
    ...process.env,
    FLOOR_URL: url,
    FLOOR_SECONDS: String(OPTIONS.ceilingSeconds),
    FLOOR_SLOTS: String(concurrency),
    FLOOR_THREADS: String(imageThreads),
    FLOOR_FORMAT: format,
    FLOOR_QUALITY: String(quality),
    FLOOR_DIR: makeTempDir('floor'),
  };
  const machineBefore = machineBusyMs();
  const benchBefore = process.cpuUsage();
  const started = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', IO_FLOOR], {
    cwd: resolve(import.meta.dirname, '..'),
    env,
  });
  const line = stdout.split('\n').find((text) => text.startsWith('floor '));
  if (!line) throw new Error(`the I/O floor printed no result:\n${stdout.slice(-2000)}`);
  const run = JSON.parse(line.slice('floor '.length)) as {
    images: number;
    seconds: number;
    cpuMs: number;
    mainThreadCpuMs: number;
    /** The child's CPU from its start, for the share of the machine other processes used. */
    lifetimeCpuMs: number;
  };
  const bench = process.cpuUsage(benchBefore);
  const otherMs = machineBusyMs() - machineBefore - (bench.user + bench.system) / 1000 - run.lifetimeCpuMs;
  const wallMs = (performance.now() - started) * availableParallelism();
  const level: CeilingLevel = {
    concurrency,
    images: run.images,
    seconds: round(run.seconds, 3),
    imagesPerSecond: round(run.images / run.seconds, 1),
    cpuMsPerImage: round(run.cpuMs / run.images, 1),
    mainThreadCpuMsPerImage: round(run.mainThreadCpuMs / run.images, 2),
    otherCpuShare: round(Math.max(0, otherMs) / wallMs, 2),
  };
  log(`I/O floor ${fixture.name}: ${level.imagesPerSecond} images/s`);
  return level;
}

/** `rate (share of the best ceiling×)`, or a dash. */
const besideCeiling = (level: CeilingLevel | undefined, ceiling: CeilingResult) =>
  level
    ? `${level.imagesPerSecond} (${round(level.imagesPerSecond / ceiling.best.imagesPerSecond, 2)}×)`
    : '–';

export function printCeilings(ceilings: Record<string, CeilingResult>, output: OutputOptions): void {
  console.log(
    `\n1. Raw sharp ceiling (decode → autoOrient() → ${output.format} q${output.quality === 'auto' ? 50 : output.quality}, input in memory), images/s; "again" = the best level re-measured after the e2e runs; "service pipeline": the service's ImagePipeline in the same loop at the best level; "I/O floor": raw sharp between a download from the image server and a file write, in a child process with the service's CONCURRENCY and IMAGE_THREADS, and its main thread's CPU per image (both for information)`,
  );
  console.log(
    table(
      [
        'image',
        'MP',
        ...OPTIONS.ceilingConcurrencies.map((c) => `c=${c}`),
        'again',
        'best',
        'service pipeline',
        'I/O floor',
        'its main thread ms/img',
        'CPU ms/img',
        'main thread ms/img',
        "others' CPU",
      ],
      Object.values(ceilings).map((c) => [
        c.image,
        c.megapixels,
        ...c.levels.map((l) => l.imagesPerSecond),
        c.again ? `${c.again.imagesPerSecond} (c=${c.again.concurrency})` : '–',
        c.best.imagesPerSecond,
        besideCeiling(c.servicePipeline, c),
        besideCeiling(c.ioFloor, c),
        c.ioFloor?.mainThreadCpuMsPerImage ?? '–',
        c.best.cpuMsPerImage,
        c.best.mainThreadCpuMsPerImage,
        `${Math.round(c.best.otherCpuShare * 100)}%`,
      ]),
    ),
  );
}
