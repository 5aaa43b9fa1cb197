/**
 * `npm run bench` (issue 5): how close the service comes to what sharp alone can do.
 *
 *   1. ceiling    raw sharp as a user would script it: decode → autoOrient() → the default output format and
 *                 quality (JPEG q50), input in memory, at concurrency 1/2/4/8, the best level counting;
 *                 beside it, for information, the service's own ImagePipeline in the same loop at that level
 *   2. e2e        the BUILT service (node dist/main.cjs) on a temp DATA_DIR fetching from a local image
 *                 server: upload → `completed` for N photos and N small images; ratio to the ceiling,
 *                 and the CPU of the service's main thread per image (beside sharp's, measured in
 *                 the ceiling); then the same on PostgreSQL (TEST_DATABASE_URL) with BENCH_PG_WORKERS
 *                 services sharing the queue, against the embedded default's images/s
 *   3. soak       RSS against images processed over a long run on a fresh service (memory flat after
 *                 the first thousand)
 *   4. upload     10,000- and 100,000-row CSVs (3 URLs a row): time to 202, service RSS, GET /status
 *                 latency during the upload and while the images are processed; plus an in-process
 *                 breakdown of the upload (hash, CSV parse, validation, database inserts), its floor
 *                 (bench/upload-floor.ts: the rows inserted alone with better-sqlite3 and pg), and the
 *                 largest upload's 202 on PostgreSQL (TEST_DATABASE_URL)
 *   6. hostile    records of 1, 4 and 16 MiB, headers of 10k and 100k columns, a 49 MiB line and a
 *                 URL-heavy 49 MiB CSV, on a service with raised limits (parsed) and one with the
 *                 defaults (refused): time, growth against the previous size, the longest event-loop
 *                 stall inside the service (bench/loop-probe.mjs), GET /status meanwhile, peak RSS
 *   7. fairness   on the embedded default, a 3-image request uploaded right after a 3,000-image one:
 *                 the small one's time to completed, and how far the large one had got meanwhile
 *   8. queue      on PostgreSQL (TEST_DATABASE_URL; skipped without it), image completions per second
 *                 with 1, 2, 4 and 8 worker processes whose processor does nothing but record
 *                 (bench/queue-phase.ts, bench/queue-worker.ts), and the CPU of workers and PostgreSQL
 *  10. noisy     one client's AVIF/auto work on noisy 12 MP JPEGs while another's /files, small upload and
 *                 /health/ready are sampled; 8 flat 100 MP PNGs (default output and quality=auto) with the
 *                 service's peak RSS (bench/noisy-neighbour.ts); BENCH_NOISY_IMAGES=0 skips it
 *   9. compression the photo fixtures written every way (sharp q50, mozjpeg at fixed qualities, quality=auto,
 *                 WebP, AVIF): bytes against the seed's Pillow q50 output, the SSIM auto uses, CPU per image
 *                 (bench/compression-phase.ts); and, in phase 2, an end-to-end run of photos with
 *                 quality=auto beside the default run
 *
 * Prints a table, writes bench-results/<timestamp>.json. Exits non-zero only when something crashes,
 * never for a missed target. Options (flags or environment):
 *   --quick | BENCH_QUICK=1      a few images each, 1,000-row upload: the CI variant
 *   --profile | BENCH_PROFILE=1  CPU-profile the service during e2e and upload phases
 *                                (bench-results/<timestamp>-<phase>.cpuprofile + a summary), and
 *                                the queue workers (bench-results/<timestamp>-queue-workers/)
 *   BENCH_PHOTOS (300) BENCH_SMALL (1200) BENCH_SOAK (10000) BENCH_UPLOAD_ROWS ("10000,100000")
 *   BENCH_CEILING_SECONDS (4) BENCH_STATUS_SAMPLES (50) BENCH_HOSTILE (1; 0 skips phase 6)
 *   BENCH_FAIRNESS (3000; 0 skips phase 7) BENCH_QUEUE_IMAGES (20000; 0 skips phase 8)
 *   BENCH_QUEUE_WORKERS ("1,2,4,8") BENCH_QUEUE_CONCURRENCY (4: CONCURRENCY of each queue worker)
 *   BENCH_QUEUE_BACKLOG (1000000; 0 skips the phase 8 run at that backlog, bench/queue-backlog.ts)
 *   BENCH_QUEUE_BACKLOG_SECONDS (30)
 *   BENCH_PG_WORKERS (2; 0 skips the end-to-end runs on PostgreSQL)
 *   BENCH_COMPRESSION (1; 0 skips phase 9; quick: one photo, three variants)
 *   BENCH_AUTO_PHOTOS (60; 0 skips the end-to-end quality=auto run)
 *   BENCH_TWO_CLIENTS (1; 0 skips phase 10: two API keys, 40 × 60 images against 1 × 240, bench/two-clients-phase.ts)
 * Every other variable (CONCURRENCY, JPEG_QUALITY, UV_THREADPOOL_SIZE, MALLOC_ARENA_MAX, …) reaches
 * both the ceiling's loops and the service child, so settings can be compared run against run
 * (DATABASE_URL and STORAGE_DIR do not: the child always runs the embedded default on a temp dir).
 */
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import request from 'supertest';
import { loadConfig } from '../src/config/app-config.js';
import { sizeThreadPool } from '../src/config/thread-pool.cjs';
import type { OutputOptions } from '../src/config/output-options.js';
import { ImagePipeline } from '../src/images/image-pipeline.js';
import { log, machineBusyMs, mainThreadCpuMs, procCpuMs, round } from './measure.js';
import { freePort } from '../test/helpers/loopback-server.js';
import { PostgresDatabase } from '../test/helpers/postgres-database.js';
import { compressionPhase, type CompressionRow } from './compression-phase.js';
import { type NoisyNeighbourResult, noisyNeighbourPhase, printNoisyNeighbour } from './noisy-neighbour.js';
import { type UploadFloor, uploadFloor } from './upload-floor.js';
import {
  postgresCeiling,
  postgresUnavailable,
  queuePhase,
  type QueueResult,
  type QueueRun,
} from './queue-phase.js';
import { backlogPhase, type BacklogResult, backlogTargets } from './queue-backlog.js';
import { twoClientsPhase, type TwoClientsResult, twoClientsTargets } from './two-clients-phase.js';

// ───────────────────────────── options ─────────────────────────────

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = resolve(ROOT, 'test/fixtures/images');
const PHOTO_FIXTURE = join(FIXTURES, 'photo-2725x2225.jpg');
/** 600×450 (0.27 MP) JPEG; made from the photo when the fixture is absent. */
const SMALL_FIXTURE = join(FIXTURES, 'exif-orientation-8.jpg');

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const PROFILE = argv.includes('--profile') || process.env.BENCH_PROFILE === '1';

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}

const OPTIONS = {
  quick: QUICK,
  profile: PROFILE,
  photos: intEnv('BENCH_PHOTOS', QUICK ? 4 : 300),
  small: intEnv('BENCH_SMALL', QUICK ? 8 : 1200),
  soak: intEnv('BENCH_SOAK', QUICK ? 0 : 10_000),
  uploadRows: (process.env.BENCH_UPLOAD_ROWS ?? (QUICK ? '1000' : '10000,100000'))
    .split(',')
    .map((part) => Number(part.trim()))
    .filter((rows) => Number.isInteger(rows) && rows > 0),
  ceilingSeconds: Number(process.env.BENCH_CEILING_SECONDS ?? (QUICK ? 0.5 : 4)),
  statusSamples: intEnv('BENCH_STATUS_SAMPLES', QUICK ? 15 : 50),
  statusSpacingMs: QUICK ? 50 : 100,
  ceilingConcurrencies: [1, 2, 4, 8],
  hostile: process.env.BENCH_HOSTILE !== '0',
  fairness: intEnv('BENCH_FAIRNESS', QUICK ? 300 : 3000),
  /** Worker processes of the end-to-end runs on PostgreSQL (0 skips them). */
  postgresWorkers: intEnv('BENCH_PG_WORKERS', 2),
  queueImages: intEnv('BENCH_QUEUE_IMAGES', QUICK ? 2000 : 20_000),
  queueWorkers: (process.env.BENCH_QUEUE_WORKERS ?? (QUICK ? '1,2' : '1,2,4,8'))
    .split(',')
    .map((part) => Number(part.trim()))
    .filter((workers) => Number.isInteger(workers) && workers > 0),
  // 8 processes × (CONCURRENCY + a few) connections stay under PostgreSQL's default max_connections (100).
  queueConcurrency: intEnv('BENCH_QUEUE_CONCURRENCY', 4),
  compression: process.env.BENCH_COMPRESSION !== '0',
  autoPhotos: intEnv('BENCH_AUTO_PHOTOS', QUICK ? 2 : 60),
  twoClients: process.env.BENCH_TWO_CLIENTS !== '0',
  queueBacklog: intEnv('BENCH_QUEUE_BACKLOG', QUICK ? 20_000 : 1_000_000),
  queueBacklogSeconds: intEnv('BENCH_QUEUE_BACKLOG_SECONDS', QUICK ? 5 : 30),
  // Noisy neighbour (bench/noisy-neighbour.ts): A's images, B's sampling window, the flat 100 MP PNGs.
  noisyImages: intEnv('BENCH_NOISY_IMAGES', QUICK ? 2 : 8),
  noisySeconds: intEnv('BENCH_NOISY_SECONDS', QUICK ? 10 : 60),
  flatImages: intEnv('BENCH_FLAT_IMAGES', QUICK ? 2 : 8),
};

const TARGETS = {
  /** Against raw sharp (the ceiling): what the service adds (downloads, database, files, flatten, sRGB) must fit in the rest. */
  photoRatio: 0.9,
  smallRatio: 0.85,
  uploadRows: 100_000,
  uploadSeconds: 4,
  uploadSecondsPostgres: 6,
  uploadRssMiB: 500,
  statusMs: 50,
  /** RSS at the end of the soak may exceed RSS after its first 1,000 images by at most this fraction. */
  rssGrowth: 0.1,
  hostileStallMs: 100,
  /** ×4 input may cost up to ×4 × this in service CPU (noise, warm-up); quadratic would be ×16. */
  hostileGrowthSlack: 1.5,
  queueCompletionsPerSecond: 2000,
  /** The service's own main-thread CPU per image, beside what sharp costs there (the ceiling's). */
  mainThreadMsPerImage: 1,
  /** On PostgreSQL, the worker processes together make at least this share of the embedded default's images/s. */
  postgresShare: 0.9,
  /** The small request of the fairness phase completes within this many seconds. */
  fairnessSeconds: 5,
};

// ───────────────────────────── cleanup ─────────────────────────────

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const servers = new Set<Server>();

function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pixelmill-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Synchronous so it also runs from the 'exit' handler: kills what we spawned, removes what we made. */
function cleanupSync(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  servers.clear();
  for (const dir of tempDirs) removeTempDir(dir);
}

process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.error(`\nbench: ${signal}, cleaning up`);
    cleanupSync();
    process.exit(130);
  });
}

// ───────────────────────────── small helpers ─────────────────────────────

const MiB = 1024 * 1024;

function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function latencySummary(values: number[]) {
  return {
    count: values.length,
    p50Ms: round(percentile(values, 0.5), 1),
    p95Ms: round(percentile(values, 0.95), 1),
    maxMs: round(values.length ? Math.max(...values) : NaN, 1),
  };
}

/** Linux: the service child's memory (KiB) from /proc; undefined elsewhere. */
function procStatus(pid: number): { rssKiB: number; hwmKiB: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/**
 * How much of the machine other processes (not the service child, not this bench) used while `work`
 * ran, as a share of all cores: the noise of a shared machine, printed beside the figures.
 */
class CpuWatch {
  private readonly machine = machineBusyMs();
  private readonly service: number;
  private readonly serviceMainThread: number;
  private readonly bench = process.cpuUsage();
  private readonly start = performance.now();

  /** Without a pid, only this process is told apart from the others. */
  constructor(private readonly servicePid?: number) {
    this.service = servicePid === undefined ? 0 : (procCpuMs(servicePid) ?? NaN);
    this.serviceMainThread = servicePid === undefined ? 0 : (mainThreadCpuMs(servicePid) ?? NaN);
  }

  read(): {
    serviceMs: number;
    serviceMainThreadMs: number;
    benchMs: number;
    otherShare: number;
    seconds: number;
  } {
    const seconds = (performance.now() - this.start) / 1000;
    const serviceMs = this.servicePid === undefined ? 0 : (procCpuMs(this.servicePid) ?? NaN) - this.service;
    const serviceMainThreadMs =
      this.servicePid === undefined ? 0 : (mainThreadCpuMs(this.servicePid) ?? NaN) - this.serviceMainThread;
    const bench = process.cpuUsage(this.bench);
    const benchMs = (bench.user + bench.system) / 1000;
    const otherMs = machineBusyMs() - this.machine - serviceMs - benchMs;
    return {
      serviceMs,
      serviceMainThreadMs,
      benchMs,
      otherShare: round(Math.max(0, otherMs) / (seconds * 1000 * availableParallelism()), 2),
      seconds,
    };
  }
}

// ───────────────────────────── fixtures and the local image server ─────────────────────────────

interface Fixture {
  name: string;
  file: string;
  bytes: Buffer;
  width: number;
  height: number;
}

async function loadFixtures(): Promise<{ photo: Fixture; small: Fixture }> {
  const photoBytes = await readFile(PHOTO_FIXTURE);
  let smallBytes: Buffer;
  let smallFile = SMALL_FIXTURE;
  if (existsSync(SMALL_FIXTURE)) {
    smallBytes = await readFile(SMALL_FIXTURE);
  } else {
    smallBytes = await sharp(photoBytes).resize(600, 450).jpeg({ quality: 85 }).toBuffer();
    smallFile = '(made from the photo: 600x450)';
  }
  const describe = async (name: string, file: string, bytes: Buffer): Promise<Fixture> => {
    const { width, height } = await sharp(bytes).metadata();
    return { name, file, bytes, width, height };
  };
  return {
    photo: await describe('photo', PHOTO_FIXTURE, photoBytes),
    small: await describe('small', smallFile, smallBytes),
  };
}

/** Serves the fixtures from memory at /photo.jpg and /small.jpg (query strings ignored: they make URLs distinct). */
async function startImageServer(
  fixtures: Fixture[],
): Promise<{ base: string; served: () => number; close: () => Promise<void> }> {
  const byPath = new Map(fixtures.map((fixture) => [`/${fixture.name}.jpg`, fixture.bytes]));
  let served = 0;
  const server = createServer((req, res) => {
    const body = byPath.get(new URL(req.url ?? '/', 'http://images').pathname);
    if (!body) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    served++;
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': body.length }).end(body);
  });
  servers.add(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served: () => served,
    close: async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
      servers.delete(server);
    },
  };
}

// ───────────────────────────── 1. the raw sharp ceiling ─────────────────────────────

type CeilingLevel = {
  concurrency: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  cpuMsPerImage: number;
  /** CPU of this process's main thread per image: what sharp itself costs there (building and starting a pipeline). */
  mainThreadCpuMsPerImage: number;
  otherCpuShare: number;
};

interface CeilingResult {
  image: string;
  megapixels: number;
  levels: CeilingLevel[];
  /** The best level measured again after the end-to-end runs (background load comes and goes). */
  again?: CeilingLevel;
  /** The best of all of the above: what the ratios divide by. */
  best: CeilingLevel;
  /** For information: the service's own ImagePipeline in the same loop, at the best level's concurrency. */
  servicePipeline?: CeilingLevel;
}

/** One image in memory to its output: raw sharp (the ceiling) or the service's pipeline. */
type Encode = (bytes: Buffer) => Promise<unknown>;

/**
 * The ceiling: what a user would write by hand with sharp for the service's default output (its format
 * and fixed quality; JPEG q50 unless OUTPUT_FORMAT / OUTPUT_QUALITY say otherwise): decode, orient, encode.
 * Nothing the service adds (flatten, sRGB, the pixel limit, downloads, files, the database) is in it.
 */
function rawSharp({ format, quality }: OutputOptions): Encode {
  const fixed = quality === 'auto' ? 50 : quality;
  return (bytes) => sharp(bytes).autoOrient()[format]({ quality: fixed }).toBuffer();
}

async function measureLevel(encode: Encode, fixture: Fixture, concurrency: number): Promise<CeilingLevel> {
  let images = 0;
  const cpuBefore = process.cpuUsage();
  const mainThreadBefore = mainThreadCpuMs(process.pid) ?? NaN;
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
  log(`ceiling ${fixture.name} c=${concurrency}: ${round(images / seconds, 1)} images/s`);
  return {
    concurrency,
    images,
    seconds: round(seconds, 3),
    imagesPerSecond: round(images / seconds, 1),
    cpuMsPerImage: round((cpu.user + cpu.system) / 1000 / images, 1),
    mainThreadCpuMsPerImage: round(mainThreadMs / images, 2),
    otherCpuShare: watch.read().otherShare,
  };
}

const fastest = (levels: CeilingLevel[]) =>
  levels.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a));

async function measureCeiling(encode: Encode, pipeline: Encode, fixture: Fixture): Promise<CeilingResult> {
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
async function remeasureCeiling(encode: Encode, fixture: Fixture, ceiling: CeilingResult): Promise<void> {
  ceiling.again = await measureLevel(encode, fixture, ceiling.best.concurrency);
  ceiling.best = fastest([...ceiling.levels, ceiling.again]);
}

// ───────────────────────────── the service child ─────────────────────────────

interface StatusBody {
  request_id: string;
  status: string;
  total_images: number;
  processed_images: number;
  failed_images: number;
  created_at: string;
  completed_at: string | null;
}

interface LoopDelay {
  maxMs: number;
  p99Ms: number;
}

class Service {
  readonly logTail: string[] = [];
  warnings = 0;
  readonly warningLines: string[] = [];
  private phase = 'startup';
  readonly phasePeakKiB = new Map<string, number>();
  readonly samples: Array<{ t: number; rssKiB: number; phase: string }> = [];
  private sampler?: NodeJS.Timeout;
  private readonly startedAt = performance.now();
  private probeSeq = 0;
  private readonly probeWaiters = new Map<number, (error?: string) => void>();
  private readonly loopWaiters = new Map<number, (delay: LoopDelay) => void>();

  private constructor(
    readonly label: string,
    readonly child: ChildProcess,
    readonly base: string,
    readonly dataDir: string,
  ) {}

  /**
   * `env` is added to the service's environment (e.g. raised limits); `loopProbe` preloads
   * bench/loop-probe.mjs, which measures the event loop's longest stall (see `loopDelay`).
   */
  static async start(
    label: string,
    options: { env?: Record<string, string>; loopProbe?: boolean } = {},
  ): Promise<Service> {
    const dataDir = makeTempDir(label);
    const port = await freePort();
    const preload = (file: string) => ['--import', pathToFileURL(join(ROOT, 'bench', file)).href];
    const nodeArgs = [
      ...(PROFILE ? preload('child-probe.mjs') : []),
      ...(options.loopProbe ? preload('loop-probe.mjs') : []),
    ];
    const ipc = PROFILE || options.loopProbe;
    // The embedded default on a temp DATA_DIR, whatever DATABASE_URL / STORAGE_DIR the shell has.
    const { DATABASE_URL: _database, STORAGE_DIR: _storage, ...inherited } = process.env;
    const env: Record<string, string | undefined> = {
      // As `npm run start:prod` runs it: glibc's per-thread malloc arenas cost ~70 MiB of RSS under sharp.
      MALLOC_ARENA_MAX: '2',
      ...inherited,
      PORT: String(port),
      DATA_DIR: dataDir,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ALLOW_PRIVATE_URLS: 'true',
      RATE_LIMIT_UPLOADS_PER_MIN: '0', // the bench measures the service, not its quotas
      SHUTDOWN_GRACE_MS: '2000',
      NO_COLOR: '1',
      ...options.env,
    };
    // A preload (--import) starts libuv's pool before the entry point could size it: sized here instead.
    sizeThreadPool(env);
    const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/main.cjs')], {
      cwd: ROOT,
      env,
      stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const service = new Service(label, child, `http://127.0.0.1:${port}`, dataDir);
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        if (/\bWARN\b|\bERROR\b/.test(line)) {
          service.warnings++;
          if (service.warningLines.length < 5) service.warningLines.push(line.slice(0, 300));
        }
        service.logTail.push(line);
        if (service.logTail.length > 60) service.logTail.shift();
      }
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('message', (message: { probe?: string; loop?: string; id?: number; error?: string }) => {
      if (message?.probe === 'ack' && message.id !== undefined) {
        service.probeWaiters.get(message.id)?.(message.error);
        service.probeWaiters.delete(message.id);
      }
      if (message?.loop === 'ack' && message.id !== undefined) {
        service.loopWaiters.get(message.id)?.(message as unknown as LoopDelay);
        service.loopWaiters.delete(message.id);
      }
    });
    await service.waitUntilReady();
    service.sampler = setInterval(() => service.sample(), 50);
    service.sampler.unref();
    return service;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.exited)
        throw this.crash(
          `the service exited during start (code ${this.child.exitCode}, signal ${this.child.signalCode})`,
        );
      try {
        const res = await fetch(`${this.base}/status/00000000-0000-4000-8000-000000000000`);
        await res.arrayBuffer();
        if (res.status === 404 || res.status === 401) return; // 401: behind API_KEYS
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw this.crash('the service did not answer within 60 s');
  }

  crash(message: string): Error {
    return new Error(
      `${this.label}: ${message}\n--- last lines of the service log ---\n${this.logTail.join('\n')}`,
    );
  }

  /** Later samples count towards `phase` (take a sample first to close the previous one exactly). */
  setPhase(phase: string): void {
    this.phase = phase;
    this.sample();
  }

  sample(): { rssKiB: number; hwmKiB: number } | undefined {
    if (this.exited) return undefined;
    const status = procStatus(this.pid);
    if (!status) return undefined;
    this.phasePeakKiB.set(this.phase, Math.max(this.phasePeakKiB.get(this.phase) ?? 0, status.rssKiB));
    this.samples.push({
      t: round((performance.now() - this.startedAt) / 1000, 2),
      rssKiB: status.rssKiB,
      phase: this.phase,
    });
    return status;
  }

  peakMiB(phase: string): number {
    return round((this.phasePeakKiB.get(phase) ?? NaN) / 1024, 1);
  }

  hwmMiB(): number {
    return round((procStatus(this.pid)?.hwmKiB ?? NaN) / 1024, 1);
  }

  /** Sends a command to bench/child-probe.mjs (only with --profile) and waits for its answer. */
  async probe(command: { probe: 'start' } | { probe: 'stop'; file: string }): Promise<void> {
    if (!PROFILE) return;
    const id = ++this.probeSeq;
    const answered = new Promise<string | undefined>((done) => this.probeWaiters.set(id, done));
    this.child.send({ ...command, id });
    const error = await Promise.race([answered, sleep(120_000, 'timeout', { ref: false })]);
    if (error) throw this.crash(`profiler ${command.probe} failed: ${error}`);
  }

  /** With `loopProbe`: `reset` starts measuring the event loop's delay; `read` answers it since. */
  async loopDelay(command: 'reset' | 'read'): Promise<LoopDelay> {
    const id = ++this.probeSeq;
    const answered = new Promise<LoopDelay>((done) => this.loopWaiters.set(id, done));
    this.child.send({ loop: command, id });
    const delay = await Promise.race([answered, sleep(30_000, undefined, { ref: false })]);
    if (!delay) throw this.crash(`the loop probe did not answer ${command}`);
    return delay;
  }

  /**
   * POSTs a CSV and answers whatever the service says. Through supertest, not fetch: fetch gives up
   * after 5 minutes without response headers, and the 49 MiB URL-heavy upload took longer on a
   * machine loaded by other work.
   */
  async post(csv: string, name: string): Promise<{ ms: number; status: number; text: string }> {
    const start = performance.now();
    const res = await request(this.base)
      .post('/upload')
      .attach('file', Buffer.from(csv), { filename: name, contentType: 'text/csv' })
      .ok(() => true);
    return { ms: performance.now() - start, status: res.status, text: res.text };
  }

  async upload(
    csv: string,
    name: string,
    fields: Record<string, string> = {},
  ): Promise<{ ms: number; body: { request_id: string; total_images: number } }> {
    const form = new FormData();
    for (const [field, value] of Object.entries(fields)) form.append(field, value);
    form.append('file', new Blob([csv], { type: 'text/csv' }), name);
    const start = performance.now();
    const res = await fetch(`${this.base}/upload`, { method: 'POST', body: form });
    const text = await res.text();
    const ms = performance.now() - start;
    if (res.status !== 202) throw this.crash(`POST /upload answered ${res.status}: ${text.slice(0, 500)}`);
    return { ms, body: JSON.parse(text) };
  }

  async status(requestId: string): Promise<{ ms: number; body: StatusBody }> {
    const start = performance.now();
    const res = await fetch(`${this.base}/status/${requestId}`);
    const text = await res.text();
    const ms = performance.now() - start;
    if (res.status !== 200) throw this.crash(`GET /status answered ${res.status}: ${text.slice(0, 500)}`);
    return { ms, body: JSON.parse(text) };
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    if (!this.exited) {
      const exited = new Promise((done) => this.child.once('exit', done));
      this.child.kill('SIGTERM');
      if (
        (await Promise.race([exited.then(() => 'exited'), sleep(10_000, 'timeout', { ref: false })])) ===
        'timeout'
      ) {
        log(`${this.label}: no exit 10 s after SIGTERM, killing`);
        this.child.kill('SIGKILL');
        await exited;
      }
    }
    children.delete(this.child);
    removeTempDir(this.dataDir);
  }
}

// ───────────────────────────── CPU profiles ─────────────────────────────

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function packageOf(url: string): string {
  if (url === '') return '(native / vm)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return 'node core';
  if (isAppUrl(url)) return `app ${url.slice(url.indexOf('/dist/') + '/dist/'.length).split('/')[0]}/`;
  return url;
}

/** A frame of the service's own code (dist/), not of a dependency's dist/. */
const isAppUrl = (url: string) => url.includes('/dist/') && !url.includes('/node_modules/');

function frameName(frame: { functionName: string; url: string; lineNumber: number }): string {
  const where = frame.url.includes('/node_modules/')
    ? frame.url.slice(frame.url.lastIndexOf('/node_modules/') + 14)
    : isAppUrl(frame.url)
      ? frame.url.slice(frame.url.indexOf('/dist/') + 1)
      : frame.url;
  return `${frame.functionName || '(anonymous)'}${where ? ` ${where}:${frame.lineNumber + 1}` : ''}`;
}

interface ProfileSummary {
  file: string;
  totalMs: number;
  idleMs: number;
  gcMs: number;
  byPackageSelfMs: Array<[string, number]>;
  topSelf: Array<[string, number]>;
  topAppInclusive: Array<[string, number]>;
}

function summarizeProfile(file: string, profile: CpuProfile): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byPackage = new Map<string, number>();
  const self = new Map<string, number>();
  const appInclusive = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let gcUs = 0;
  profile.samples.forEach((id, index) => {
    const deltaUs = profile.timeDeltas[index + 1] ?? 0;
    const node = nodes.get(id)!;
    totalUs += deltaUs;
    const fn = node.callFrame.functionName;
    if (fn === '(idle)') {
      idleUs += deltaUs;
      return;
    }
    if (fn === '(garbage collector)') gcUs += deltaUs;
    const pkg = fn.startsWith('(') ? fn : packageOf(node.callFrame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + deltaUs);
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + deltaUs);
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = nodes.get(current)!.callFrame;
      if (!isAppUrl(frame.url)) continue;
      const key = frameName(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      appInclusive.set(key, (appInclusive.get(key) ?? 0) + deltaUs);
    }
  });
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => [key, round(us / 1000, 0)] as [string, number]);
  return {
    file,
    totalMs: round(totalUs / 1000, 0),
    idleMs: round(idleUs / 1000, 0),
    gcMs: round(gcUs / 1000, 0),
    byPackageSelfMs: top(byPackage, 12),
    topSelf: top(self, 12),
    topAppInclusive: top(appInclusive, 15),
  };
}

async function profiled<T>(
  service: Service,
  phase: string,
  resultsBase: string,
  work: () => Promise<T>,
): Promise<{ result: T; profile?: ProfileSummary }> {
  if (!PROFILE) return { result: await work() };
  await service.probe({ probe: 'start' });
  const file = `${resultsBase}-${phase}.cpuprofile`;
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await service.probe({ probe: 'stop', file }).catch(() => undefined); // the child must not be left profiling
    throw error;
  }
  await service.probe({ probe: 'stop', file });
  const profile = summarizeProfile(file, JSON.parse(await readFile(file, 'utf8')) as CpuProfile);
  return { result, profile };
}

// ───────────────────────────── 2. end to end ─────────────────────────────

/**
 * On a shared machine the ceiling and the e2e run see different background load. Assuming
 * throughput is proportional to the CPU left free, each figure is divided by the share of the
 * machine that other processes left to it before comparing. A hint for noisy runs, not a target.
 */
function adjustedRatio(imagesPerSecond: number, otherShare: number, ceiling: CeilingResult): number {
  const free = (share: number) => Math.max(0.05, 1 - share);
  return round(
    imagesPerSecond / free(otherShare) / (ceiling.best.imagesPerSecond / free(ceiling.best.otherCpuShare)),
    3,
  );
}

/** Fills in the figures that depend on the ceiling (once it is final). */
function compareWithCeiling(result: E2eResult, ceiling: CeilingResult): void {
  result.ceilingImagesPerSecond = ceiling.best.imagesPerSecond;
  result.ratio = round(result.imagesPerSecond / ceiling.best.imagesPerSecond, 3);
  result.adjustedRatio = adjustedRatio(result.imagesPerSecond, result.otherCpuShare, ceiling);
  result.cpuEfficiency = round(ceiling.best.cpuMsPerImage / result.serviceCpuMsPerImage, 2);
  result.mainThreadOverheadMsPerImage = round(
    result.mainThreadCpuMsPerImage - ceiling.best.mainThreadCpuMsPerImage,
    2,
  );
}

interface E2eResult {
  image: string;
  /** `photo`, `small`, or `photo (PostgreSQL, 2 workers)`… */
  label: string;
  images: number;
  uploadMs: number;
  seconds: number;
  serverSeconds: number;
  imagesPerSecond: number;
  ceilingImagesPerSecond: number;
  ratio: number;
  /** The ratio with both throughputs scaled to the CPU other processes left free (see adjustedRatio). */
  adjustedRatio: number;
  /** Sharp's CPU per image in the ceiling ÷ the service's CPU per image: 1.0 = no overhead at all. */
  cpuEfficiency: number;
  status: string;
  failedImages: number;
  serviceCpuMsPerImage: number;
  /** CPU of the service's main thread per image (JavaScript, I/O callbacks: what competes with sharp's threads). */
  mainThreadCpuMsPerImage: number;
  /** The same less what sharp costs on the main thread in the ceiling: the service's own per-image work there. */
  mainThreadOverheadMsPerImage: number;
  serviceCpuUtilisation: number;
  benchCpuMsPerImage: number;
  /** Share of all cores used by other processes meanwhile (a shared machine's noise). */
  otherCpuShare: number;
  peakRssMiB: number;
  profile?: ProfileSummary;
}

function imagesCsv(urls: string[]): string {
  const lines = ['S. No.,Product Name,Input Image Urls'];
  urls.forEach((url, index) => lines.push(`${index + 1},Product ${index + 1},${url}`));
  return `${lines.join('\n')}\n`;
}

async function waitForCompletion(
  service: Service,
  requestId: string,
  timeoutMs: number,
  onPoll?: (body: StatusBody) => void,
  pollMs = 150,
): Promise<{ body: StatusBody; at: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (service.exited) throw service.crash('the service exited while processing');
    const { body } = await service.status(requestId);
    onPoll?.(body);
    if (body.status !== 'processing') return { body, at: performance.now() };
    if (performance.now() > deadline)
      throw service.crash(
        `request ${requestId} still processing after ${Math.round(timeoutMs / 1000)} s: ${JSON.stringify(body)}`,
      );
    await sleep(pollMs);
  }
}

/**
 * Uploads `count` copies of `fixture` to `service` and waits for `completed`. `processes` are every
 * process that does the work (the service alone on the embedded default; its worker processes on
 * PostgreSQL), whose CPU is summed; `label` tells the run apart in the report.
 */
async function endToEnd(
  service: Service,
  fixture: Fixture,
  count: number,
  imageBase: string,
  ceiling: CeilingResult,
  runTag: string,
  resultsBase: string,
  {
    processes = [service],
    fields = {},
    label = fixture.name,
  }: {
    processes?: Service[];
    /** Output fields sent with the upload (quality=auto: up to 10× the CPU, so 10× the time allowed). */
    fields?: Record<string, string>;
    label?: string;
  } = {},
): Promise<E2eResult> {
  const variant = Object.entries(fields)
    .map(([field, value]) => `${field}=${value}`)
    .join(' ');
  const phase = `e2e-${label}${variant ? `-${variant.replace(/[^a-z0-9]+/gi, '-')}` : ''}`;
  const urls = Array.from(
    { length: count },
    (_, i) => `${imageBase}/${fixture.name}.jpg?run=${runTag}&n=${i}`,
  );
  const csv = imagesCsv(urls);
  service.setPhase(phase);
  const watches = processes.map((process) => new CpuWatch(process.pid));
  const timeoutMs = 60_000 + (count / ceiling.best.imagesPerSecond) * 20_000 * (variant ? 10 : 1);
  const { result, profile } = await profiled(service, phase, resultsBase, async () => {
    const start = performance.now();
    const accepted = await service.upload(csv, `${phase}.csv`, fields);
    const done = await waitForCompletion(
      service,
      accepted.body.request_id,
      timeoutMs,
      undefined,
      // Rarely: each poll is an API request that the service's main thread pays for, beside the images.
      QUICK ? 25 : 1000,
    );
    return { start, accepted, done };
  });
  const { start, accepted, done } = result;
  service.sample();
  const seconds = (done.at - start) / 1000;
  const reads = watches.map((watch) => watch.read());
  const cpu = {
    ...reads[0],
    serviceMs: reads.reduce((sum, read) => sum + read.serviceMs, 0),
    serviceMainThreadMs: reads.reduce((sum, read) => sum + read.serviceMainThreadMs, 0),
    // The others' share as the first watch saw it, less the CPU of the other worker processes.
    otherShare: round(
      Math.max(
        0,
        reads[0].otherShare -
          reads.slice(1).reduce((sum, read) => sum + read.serviceMs, 0) /
            (reads[0].seconds * 1000 * availableParallelism()),
      ),
      2,
    ),
  };
  service.setPhase('between');
  const body = done.body;
  // The service's own clock, from the request's creation to its completion: exact whatever the polls' spacing.
  const serverSeconds = body.completed_at
    ? (Date.parse(body.completed_at) - Date.parse(body.created_at)) / 1000
    : NaN;
  const imagesPerSecond = count / (serverSeconds > 0 ? serverSeconds : seconds);
  return {
    image: variant ? `${fixture.name} (${variant})` : fixture.name,
    label: variant ? `${label} (${variant})` : label,
    images: count,
    uploadMs: round(accepted.ms, 1),
    seconds: round(seconds, 2),
    serverSeconds: round(serverSeconds, 2),
    imagesPerSecond: round(imagesPerSecond, 1),
    ceilingImagesPerSecond: NaN,
    ratio: NaN,
    adjustedRatio: NaN,
    cpuEfficiency: NaN,
    status: body.status,
    failedImages: body.failed_images,
    serviceCpuMsPerImage: round(cpu.serviceMs / count, 1),
    mainThreadCpuMsPerImage: round(cpu.serviceMainThreadMs / count, 2),
    mainThreadOverheadMsPerImage: NaN,
    serviceCpuUtilisation: round(cpu.serviceMs / 1000 / cpu.seconds / availableParallelism(), 2),
    benchCpuMsPerImage: round(cpu.benchMs / count, 2),
    otherCpuShare: cpu.otherShare,
    peakRssMiB: service.peakMiB(phase),
    profile,
  };
}

/**
 * The end-to-end runs again on a fresh PostgreSQL database (TEST_DATABASE_URL's server), with
 * BENCH_PG_WORKERS services (ROLE=all: each serves HTTP and works) sharing the queue: uploads go to
 * the first, every process's CPU is summed.
 */
async function endToEndOnPostgres(
  runs: Array<{ fixture: Fixture; count: number; ceiling: CeilingResult }>,
  imageBase: string,
  runTag: string,
  resultsBase: string,
): Promise<E2eResult[]> {
  const database = await PostgresDatabase.create();
  const services: Service[] = [];
  try {
    // One after another: the first one migrates the database.
    for (let i = 1; i <= OPTIONS.postgresWorkers; i++)
      services.push(await Service.start(`e2e-pg-${i}`, { env: { DATABASE_URL: database.url } }));
    log(`services (e2e on PostgreSQL) pids ${services.map((service) => service.pid).join(', ')}`);
    const results: E2eResult[] = [];
    for (const { fixture, count, ceiling } of runs)
      results.push(
        await endToEnd(services[0], fixture, count, imageBase, ceiling, `${runTag}-pg`, resultsBase, {
          processes: services,
          label: `${fixture.name} (PostgreSQL, ${services.length} workers)`,
        }),
      );
    return results;
  } finally {
    for (const service of services) await service.stop();
    await database.drop();
  }
}

// ───────────────────────────── 3. soak: RSS against images processed ─────────────────────────────

interface SoakResult {
  images: number;
  seconds: number;
  imagesPerSecond: number;
  ratio: number;
  adjustedRatio: number;
  serviceCpuUtilisation: number;
  otherCpuShare: number;
  rssAfter1000MiB: number;
  rssEndMiB: number;
  rssPeakMiB: number;
  growthMiB: number;
  growthFraction: number;
  slopeMiBPer1000: number;
  curve: Array<{ processed: number; rssMiB: number }>;
}

function compareSoakWithCeiling(result: SoakResult, ceiling: CeilingResult): void {
  result.ratio = round(result.imagesPerSecond / ceiling.best.imagesPerSecond, 3);
  result.adjustedRatio = adjustedRatio(result.imagesPerSecond, result.otherCpuShare, ceiling);
}

async function soak(
  service: Service,
  fixture: Fixture,
  count: number,
  imageBase: string,
  ceiling: CeilingResult,
  runTag: string,
): Promise<SoakResult> {
  const urls = Array.from(
    { length: count },
    (_, i) => `${imageBase}/${fixture.name}.jpg?soak=${runTag}&n=${i}`,
  );
  service.setPhase('soak');
  const watch = new CpuWatch(service.pid);
  const start = performance.now();
  const accepted = await service.upload(imagesCsv(urls), 'soak.csv');
  const curve: Array<{ processed: number; rssMiB: number }> = [];
  const done = await waitForCompletion(
    service,
    accepted.body.request_id,
    120_000 + (count / ceiling.best.imagesPerSecond) * 20_000,
    (body) => {
      const rss = procStatus(service.pid)?.rssKiB;
      if (rss !== undefined) curve.push({ processed: body.processed_images, rssMiB: round(rss / 1024, 1) });
    },
    500,
  );
  const seconds = (done.at - start) / 1000;
  const cpu = watch.read();
  service.sample();
  service.setPhase('between');
  const after = curve.filter((point) => point.processed >= Math.min(1000, count));
  const first = after[0] ?? curve[0];
  const last = curve[curve.length - 1];
  // least-squares slope of RSS over images processed, after the first thousand
  const n = after.length;
  const mx = after.reduce((s, p) => s + p.processed, 0) / n;
  const my = after.reduce((s, p) => s + p.rssMiB, 0) / n;
  const sxy = after.reduce((s, p) => s + (p.processed - mx) * (p.rssMiB - my), 0);
  const sxx = after.reduce((s, p) => s + (p.processed - mx) ** 2, 0);
  return {
    images: count,
    seconds: round(seconds, 1),
    imagesPerSecond: round(count / seconds, 1),
    ratio: NaN,
    adjustedRatio: NaN,
    serviceCpuUtilisation: round(cpu.serviceMs / 1000 / cpu.seconds / availableParallelism(), 2),
    otherCpuShare: cpu.otherShare,
    rssAfter1000MiB: first.rssMiB,
    rssEndMiB: last.rssMiB,
    rssPeakMiB: Math.max(...after.map((p) => p.rssMiB)),
    growthMiB: round(last.rssMiB - first.rssMiB, 1),
    growthFraction: round((last.rssMiB - first.rssMiB) / first.rssMiB, 3),
    slopeMiBPer1000: n > 2 && sxx > 0 ? round((sxy / sxx) * 1000, 2) : 0,
    curve,
  };
}

// ───────────────────────────── 7. fairness: a small request behind a large one ─────────────────────────────

interface FairnessResult {
  largeImages: number;
  smallImages: number;
  /** From the start of the small request's upload to its `completed` (polled every 25 ms). */
  smallSeconds: number;
  smallStatus: string;
  /** How far the large request (uploaded just before) had got when the small one completed. */
  largeProcessedMeanwhile: number;
  largeStatusMeanwhile: string;
}

async function fairness(
  service: Service,
  fixture: Fixture,
  count: number,
  imageBase: string,
  runTag: string,
): Promise<FairnessResult> {
  const urls = (tag: string, images: number) =>
    Array.from({ length: images }, (_, i) => `${imageBase}/${fixture.name}.jpg?fair=${runTag}-${tag}&n=${i}`);
  service.setPhase('fairness');
  const large = await service.upload(imagesCsv(urls('large', count)), 'fairness-large.csv');
  const start = performance.now();
  const small = await service.upload(imagesCsv(urls('small', 3)), 'fairness-small.csv');
  const done = await waitForCompletion(service, small.body.request_id, 120_000, undefined, 25);
  const { body: largeBody } = await service.status(large.body.request_id);
  service.setPhase('between');
  return {
    largeImages: count,
    smallImages: 3,
    smallSeconds: round((done.at - start) / 1000, 2),
    smallStatus: done.body.status,
    largeProcessedMeanwhile: largeBody.processed_images,
    largeStatusMeanwhile: largeBody.status,
  };
}

// ───────────────────────────── 4. upload timing ─────────────────────────────

const uploadRowUrls = (imageBase: string, tag: string) => (row: number) =>
  [1, 2, 3].map((k) => `${imageBase}/small.jpg?batch=${tag}&u=${row}-${k}`);

function uploadCsv(rows: number, imageBase: string, tag: string): string {
  const lines: string[] = ['S. No.,Product Name,Input Image Urls'];
  const urls = uploadRowUrls(imageBase, tag);
  for (let row = 1; row <= rows; row++) lines.push(`${row},Product ${row},"${urls(row).join(',')}"`);
  return `${lines.join('\n')}\n`;
}

/** The largest upload once more, on a service on a fresh PostgreSQL database: the time to its 202. */
async function timeUploadOnPostgres(rows: number, imageBase: string): Promise<number> {
  const database = await PostgresDatabase.create();
  try {
    const service = await Service.start(`upload-pg-${rows}`, { env: { DATABASE_URL: database.url } });
    try {
      const { ms } = await service.upload(uploadCsv(rows, imageBase, `pg${rows}`), `upload-pg-${rows}.csv`);
      log(`upload ${rows} rows on PostgreSQL: 202 in ${round(ms / 1000, 2)} s`);
      return round(ms, 0);
    } finally {
      await service.stop();
    }
  } finally {
    await database.drop();
  }
}

interface UploadResult {
  rows: number;
  urls: number;
  csvMiB: number;
  uploadMs: number;
  /** CPU the service used between sending the upload and its 202. */
  serviceCpuMs: number;
  otherCpuShare: number;
  peakRssMiB: number;
  hwmMiB: number;
  statusDuringUpload: ReturnType<typeof latencySummary>;
  statusWhileProcessing: ReturnType<typeof latencySummary>;
  imagesPerSecondWhileMeasuring: number;
  profile?: ProfileSummary;
}

async function timeUpload(
  service: Service,
  rows: number,
  imageBase: string,
  probeRequestId: string,
  resultsBase: string,
): Promise<UploadResult> {
  const csv = uploadCsv(rows, imageBase, `x${rows}`);
  const phase = `upload-${rows}`;
  service.setPhase(phase);
  const watch = new CpuWatch(service.pid);
  const { result, profile } = await profiled(service, phase, resultsBase, async () => {
    // GET /status of another request, every 50 ms, for as long as the upload is in flight
    let uploading = true;
    const duringUpload: number[] = [];
    const poller = (async () => {
      while (uploading) {
        duringUpload.push((await service.status(probeRequestId)).ms);
        await sleep(50);
      }
    })();
    try {
      return { accepted: await service.upload(csv, `${phase}.csv`), duringUpload };
    } finally {
      uploading = false;
      await poller;
    }
  });
  const cpu = watch.read();
  service.sample(); // at the 202
  const peakRssMiB = service.peakMiB(phase);
  const hwmMiB = service.hwmMiB();
  log(`upload ${rows} rows: 202 in ${round(result.accepted.ms / 1000, 2)} s, peak RSS ${peakRssMiB} MiB`);

  service.setPhase(`processing-${rows}`);
  const requestId = result.accepted.body.request_id;
  const whileProcessing: number[] = [];
  const first = await service.status(requestId);
  const start = performance.now();
  let last = first.body;
  for (let i = 0; i < OPTIONS.statusSamples; i++) {
    await sleep(OPTIONS.statusSpacingMs);
    const { ms, body } = await service.status(requestId);
    whileProcessing.push(ms);
    last = body;
  }
  const processedRate =
    (last.processed_images - first.body.processed_images) / ((performance.now() - start) / 1000);
  service.setPhase('between');
  return {
    rows,
    urls: result.accepted.body.total_images,
    csvMiB: round(Buffer.byteLength(csv) / MiB, 1),
    uploadMs: round(result.accepted.ms, 0),
    serviceCpuMs: round(cpu.serviceMs, 0),
    otherCpuShare: cpu.otherShare,
    peakRssMiB,
    hwmMiB,
    statusDuringUpload: latencySummary(result.duringUpload),
    statusWhileProcessing: latencySummary(whileProcessing),
    imagesPerSecondWhileMeasuring: round(processedRate, 1),
    profile,
  };
}

// ───────────────────────────── 6. hostile uploads ─────────────────────────────

interface HostileResult {
  name: string;
  /** Which of a series this is (its growth is measured against the previous one of the series). */
  series: string;
  limits: 'raised' | 'default';
  inputMiB: number;
  status: number;
  answerMs: number;
  serviceCpuMs: number;
  /** answerMs and input size as multiples of the previous case of the series. */
  timeGrowth?: number;
  cpuGrowth?: number;
  inputGrowth?: number;
  /** Longest event-loop stall inside the service during the upload (monitorEventLoopDelay). */
  maxStallMs: number;
  statusMaxMs: number;
  statusCount: number;
  peakRssMiB: number;
}

const HOSTILE_URL = 'http://127.0.0.1:9/a.jpg';

/** One product row whose fourth cell is `mib` MiB of quoted text with commas, escaped quotes and line ends. */
function hugeRecordCsv(mib: number): string {
  const piece = 'lorem ipsum, ""dolor"" sit\namet ';
  const repeats = Math.round((mib * MiB) / (piece.length - 2));
  return `S. No.,Product Name,Input Image Urls,Notes\n1,P,${HOSTILE_URL},"${piece.repeat(repeats)}"\n`;
}

function wideHeaderCsv(columns: number): string {
  const extra = Array.from({ length: columns - 3 }, (_, i) => `Column ${i}`).join(',');
  return `S. No.,Product Name,Input Image Urls,${extra}\n1,P,${HOSTILE_URL}\n`;
}

/** Rows of 50 URLs each (50 distinct URLs in all: the rest are duplicates, so the worker stays idle). */
function urlHeavyCsv(mib: number): string {
  const urls = Array.from({ length: 50 }, (_, k) => `http://127.0.0.1:9/images/product-photo-${k}.jpg`).join(
    ',',
  );
  const lines = ['S. No.,Product Name,Input Image Urls'];
  let bytes = lines[0].length + 1;
  for (let row = 1; bytes < mib * MiB; row++) {
    const line = `${row},Product ${row},"${urls}"`;
    lines.push(line);
    bytes += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

async function timeHostile(
  service: Service,
  limits: HostileResult['limits'],
  series: string,
  name: string,
  csv: string,
): Promise<HostileResult> {
  const phase = `hostile-${limits}-${name}`;
  service.setPhase(phase);
  await service.loopDelay('reset');
  const watch = new CpuWatch(service.pid);
  let uploading = true;
  const statusMs: number[] = [];
  const poller = (async () => {
    while (uploading) {
      const start = performance.now();
      const res = await fetch(`${service.base}/status/00000000-0000-4000-8000-000000000000`);
      await res.arrayBuffer();
      statusMs.push(performance.now() - start);
      await sleep(20);
    }
  })();
  let answer: Awaited<ReturnType<Service['post']>>;
  try {
    answer = await service.post(csv, `${name}.csv`);
  } finally {
    uploading = false;
    await poller;
  }
  const cpu = watch.read();
  const loop = await service.loopDelay('read');
  service.sample();
  const result: HostileResult = {
    name,
    series,
    limits,
    inputMiB: round(Buffer.byteLength(csv) / MiB, 2),
    status: answer.status,
    answerMs: round(answer.ms, 0),
    serviceCpuMs: round(cpu.serviceMs, 0),
    maxStallMs: round(loop.maxMs, 1),
    statusMaxMs: round(Math.max(0, ...statusMs), 1),
    statusCount: statusMs.length,
    peakRssMiB: service.peakMiB(phase),
  };
  service.setPhase('between');
  log(
    `hostile ${limits} ${name}: ${answer.status} in ${result.answerMs} ms, longest stall ${result.maxStallMs} ms, peak RSS ${result.peakRssMiB} MiB`,
  );
  if (answer.status >= 500)
    throw service.crash(`hostile upload ${name} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return result;
}

function longestStall(results: HostileResult[], limits: HostileResult['limits']): number {
  return Math.max(...results.filter((r) => r.limits === limits).map((r) => r.maxStallMs));
}

function hostileGrowthSummary(results: HostileResult[]): string {
  return results
    .filter((r) => r.inputGrowth !== undefined)
    .map((r) => `${r.limits} ${r.name}: ×${r.inputGrowth} → ×${r.cpuGrowth}`)
    .join('; ');
}

/** Growth of each case against the previous case of its series (same limits, same series). */
function addGrowth(results: HostileResult[]): void {
  for (let i = 1; i < results.length; i++) {
    const [previous, current] = [results[i - 1], results[i]];
    if (previous.series !== current.series || previous.limits !== current.limits) continue;
    current.inputGrowth = round(current.inputMiB / previous.inputMiB, 1);
    current.timeGrowth = round(current.answerMs / Math.max(1, previous.answerMs), 1);
    current.cpuGrowth = round(current.serviceCpuMs / Math.max(1, previous.serviceCpuMs), 1);
  }
}

/**
 * Hostile shapes, timed: records of 1, 4 and 16 MiB, headers of 10k and 100k columns, a URL-heavy
 * 50 MiB CSV, and a file that is one line. First on a service whose limits are raised so that they
 * are parsed (the cost of parsing itself), then on one with the default limits (the cost of refusing).
 */
async function hostilePhase(): Promise<{
  results: HostileResult[];
  services: Record<string, ServiceSummary>;
}> {
  const recordMiB = QUICK ? [0.25, 1, 4] : [1, 4, 16];
  const columns = [10_000, 100_000];
  const urlMiB = QUICK ? 5 : 49;
  const lineMiB = QUICK ? 8 : 49;
  const results: HostileResult[] = [];
  const services: Record<string, ServiceSummary> = {};
  const raised = {
    MAX_CELL_BYTES: String(48 * MiB),
    MAX_RECORD_BYTES: String(48 * MiB),
    MAX_COLUMNS: '200000',
  };
  // The parsing limits are what is measured, not the quota: the URL-heavy CSV's 1.1M images are over
  // the default MAX_QUEUED_IMAGES_PER_KEY (1,000,000), and would be stored, then refused with 429.
  // Only the upload is measured: the one image of the accepted files is not fetched meanwhile.
  const common = { MAX_QUEUED_IMAGES_PER_KEY: '0', CONCURRENCY: '1' };
  for (const [limits, env] of [
    ['raised', { ...raised, ...common }],
    ['default', common],
  ] as const) {
    const service = await Service.start(`hostile-${limits}`, { env, loopProbe: true });
    try {
      log(`service (hostile, ${limits} limits) pid ${service.pid} at ${service.base}`);
      await service.post(wideHeaderCsv(50), 'warm.csv'); // warm the JIT
      for (const mib of recordMiB)
        results.push(await timeHostile(service, limits, 'record', `record ${mib} MiB`, hugeRecordCsv(mib)));
      for (const n of columns)
        results.push(
          await timeHostile(service, limits, 'header', `header ${n / 1000}k columns`, wideHeaderCsv(n)),
        );
      results.push(
        await timeHostile(service, limits, 'line', `one ${lineMiB} MiB line`, 'x'.repeat(lineMiB * MiB)),
      );
      results.push(
        await timeHostile(service, limits, 'urls', `URL-heavy ${urlMiB} MiB`, urlHeavyCsv(urlMiB)),
      );
      services[limits] = summarizeService(service);
    } finally {
      await service.stop();
    }
  }
  addGrowth(results);
  return { results, services };
}

interface UploadBreakdown {
  rows: number;
  csvMiB: number;
  records: number;
  sha256Ms: number;
  decodeMs: number;
  tokenizeMs: number;
  /** parseProductCsv without storing: decode + fast-csv + validation. */
  parseProductCsvMs: number;
  validationMs: number;
  /** parseProductCsv feeding the service's writer inside one transaction (as on PostgreSQL; SQLite commits each batch). */
  storeTotalMs?: number;
  /** Time spent inside the writer (the INSERTs). */
  insertMs?: number;
  commitMs?: number;
  storeApi?: string;
  error?: string;
}

/**
 * The same upload, piece by piece, in this process and without HTTP: the SHA-256 of the file, UTF-8
 * decoding and fast-csv alone, the service's parseProductCsv (parse + validation), and then the
 * parse feeding the service's own row writer inside one transaction on a fresh SQLite file with the
 * service's data-source options (the service commits each batch on SQLite: the same inserts, one
 * COMMIT each). Everything comes from dist/ (just built: what the child runs;
 * TypeORM also needs the decorator metadata tsx does not emit), looked up at run time so that a
 * refactoring of the service degrades this diagnostic instead of breaking the bench or the typecheck.
 */
async function uploadBreakdown(rows: number, imageBase: string): Promise<UploadBreakdown> {
  const dist = (path: string) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
  const csv = Buffer.from(uploadCsv(rows, imageBase, `x${rows}`));
  const result: UploadBreakdown = {
    rows,
    csvMiB: round(csv.length / MiB, 1),
    records: 0,
    sha256Ms: NaN,
    decodeMs: NaN,
    tokenizeMs: NaN,
    parseProductCsvMs: NaN,
    validationMs: NaN,
  };
  const timed = async <T>(work: () => Promise<T> | T): Promise<[T, number]> => {
    const start = performance.now();
    const value = await work();
    return [value, round(performance.now() - start, 0)];
  };
  let dataDir: string | undefined;
  let dataSource: { isInitialized: boolean; destroy(): Promise<void> } | undefined;
  try {
    const parser = await dist('upload/csv-parser.js');
    const distConfig = await dist('config/app-config.js');
    const config = distConfig.loadConfig({ ...process.env, DATA_DIR: tmpdir() });
    const { CsvTokenizer } = await dist('upload/csv-tokenizer.js');
    const limits = {
      maxRows: config.limits.maxRows,
      maxUrlsPerRow: config.limits.maxUrlsPerRow,
      maxColumns: config.limits.maxColumns,
      maxCellBytes: config.limits.maxCellBytes,
      maxRecordBytes: config.limits.maxRecordBytes,
    };
    await parser.parseProductCsv(Buffer.from(uploadCsv(500, imageBase, 'warm')), limits); // warm the JIT

    [, result.sha256Ms] = await timed(() => createHash('sha256').update(csv).digest('hex'));
    const [text, decodeMs] = await timed(() => new TextDecoder('utf-8', { fatal: true }).decode(csv));
    result.decodeMs = decodeMs;
    [result.records, result.tokenizeMs] = await timed(() => {
      const tokenizer = new CsvTokenizer(limits);
      let count = 0;
      for (let start = 0; start < text.length; start += 64 * 1024)
        count += tokenizer.push(text.slice(start, start + 64 * 1024)).length;
      return count + tokenizer.end().length;
    });
    [, result.parseProductCsvMs] = await timed(() => parser.parseProductCsv(csv, limits));
    result.validationMs = Math.max(
      0,
      round(result.parseProductCsvMs - result.decodeMs - result.tokenizeMs, 0),
    );

    const [{ DataSource }, { standaloneDataSourceOptions }, { ProductWriter }, { TasksService }, { Task }] =
      await Promise.all([
        import('typeorm'),
        dist('standalone-data-source.js'),
        dist('images/product-writer.js'),
        dist('tasks/tasks.service.js'),
        dist('tasks/task.entity.js'),
      ]);
    dataDir = makeTempDir('breakdown');
    const dbConfig = distConfig.loadConfig({ ...process.env, DATA_DIR: dataDir, DATABASE_URL: undefined });
    const source = new DataSource(standaloneDataSourceOptions(dbConfig));
    dataSource = source;
    await source.initialize();
    const images = new ProductWriter();
    const tasks = new TasksService(source.getRepository(Task));
    const requestId = '11111111-1111-4111-8111-111111111111';
    let insertMs = 0;
    const store = async (manager: unknown) => {
      const tx = { manager, afterCommit: () => undefined };
      const newTask = {
        id: requestId,
        totalImages: rows * 3,
        webhookUrl: null,
        csvHeaders: ['S. No.', 'Product Name', 'Input Image Urls'],
        idempotencyKey: null,
        contentHash: 'bench',
        outputOptions: { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null },
      };
      const timedWriter = (writer: (batch: unknown[]) => Promise<void>) => async (batch: unknown[]) => {
        const start = performance.now();
        await writer(batch);
        insertMs += performance.now() - start;
      };
      if (typeof images.writerFor === 'function') {
        // current API: rows are stored in batches while the CSV is read; the task row is written last
        result.storeApi = 'parseProductCsv({ onRows: ProductWriter.writerFor }) + TasksService.create';
        const writeRows = images.writerFor(requestId);
        await parser.parseProductCsv(csv, limits, {
          onRows: timedWriter((batch) => writeRows(tx, batch)),
        });
        await tasks.create(tx, newTask);
      } else if (typeof images.addProducts === 'function') {
        result.storeApi = 'parseProductCsv + TasksService.create + ImagesService.addProducts';
        const parsed = await parser.parseProductCsv(csv, limits);
        await tasks.create(tx, newTask);
        await timedWriter((batch) => images.addProducts(tx, requestId, batch))(parsed.rows);
      } else {
        throw new Error(
          'ProductWriter has neither writerFor nor addProducts: update uploadBreakdown in bench/run.ts',
        );
      }
    };
    const start = performance.now();
    let inTransactionMs = 0;
    await source.transaction(async (manager: unknown) => {
      await store(manager);
      inTransactionMs = performance.now() - start;
    });
    result.storeTotalMs = round(performance.now() - start, 0);
    result.insertMs = round(insertMs, 0);
    result.commitMs = round(result.storeTotalMs - inTransactionMs, 0);
  } catch (error) {
    result.error = (error as Error).message.split('\n')[0];
    log(`upload breakdown incomplete: ${result.error}`);
  } finally {
    if (dataSource?.isInitialized) await dataSource.destroy();
    if (dataDir) removeTempDir(dataDir);
  }
  return result;
}

// ───────────────────────────── report ─────────────────────────────

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [
    headers,
    ...rows.map((row) =>
      row.map((cell) => (typeof cell === 'number' && Number.isNaN(cell) ? '–' : String(cell))),
    ),
  ];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    `  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')}`;
  return [
    line(cells[0]),
    `  ${widths.map((w) => '─'.repeat(w)).join('  ')}`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

const verdict = (ok: boolean | undefined) =>
  ok === undefined ? 'n/a' : QUICK ? `(${ok ? 'pass' : 'fail'}: quick, not judged)` : ok ? 'PASS' : 'FAIL';

function printCompression(compression: { target: number; rows: CompressionRow[] }): void {
  console.log(
    `\n9. Compression of the photo fixtures (SSIM: luma at ≤512 px, as quality=auto measures it; AUTO_QUALITY_TARGET ${compression.target})`,
  );
  console.log(
    table(
      ['image', 'encoding', 'bytes', 'vs Pillow q50', 'quality', 'SSIM', 'CPU ms'],
      compression.rows.map((r) => [
        r.image,
        r.variant,
        r.bytes,
        r.savedVsPillow === 0
          ? '–'
          : `${r.savedVsPillow > 0 ? '−' : '+'}${round(Math.abs(r.savedVsPillow) * 100, 1)}%`,
        r.quality ?? '–',
        r.score ?? '–',
        r.cpuMs ?? '–',
      ]),
    ),
  );
  console.log(
    "   Pillow's score cannot be measured here (no Pillow); sharp q50 uses the same IJG tables and 4:2:0.",
  );
}

/** The end-to-end run of photos with quality=auto, beside the default run. */
function printAutoThroughput(photo: E2eResult, auto: E2eResult): void {
  const perSecond = (r: E2eResult) => r.images / r.seconds;
  console.log(
    `   quality=auto, photos: ${auto.images} in ${auto.seconds} s = ${round(perSecond(auto), 3)}/s, ${auto.serviceCpuMsPerImage} service CPU ms/img (others' CPU ${Math.round(auto.otherCpuShare * 100)}%, ${auto.status}); the default run: ${round(perSecond(photo), 3)}/s, ${photo.serviceCpuMsPerImage} CPU ms/img: ×${round(perSecond(photo) / perSecond(auto), 1)} the time, ×${round(auto.serviceCpuMsPerImage / photo.serviceCpuMsPerImage, 1)} the CPU per photo`,
  );
}

function printProfile(title: string, profile: ProfileSummary): void {
  console.log(
    `\n  CPU profile ${title}: ${profile.totalMs} ms sampled, ${profile.idleMs} ms idle, ${profile.gcMs} ms GC  (${profile.file})`,
  );
  console.log(
    `    self time by package:   ${profile.byPackageSelfMs.map(([k, v]) => `${k} ${v}`).join(' · ')}`,
  );
  console.log('    top self:');
  for (const [name, ms] of profile.topSelf.slice(0, 8))
    console.log(`      ${String(ms).padStart(6)} ms  ${name}`);
  console.log('    app frames, inclusive:');
  for (const [name, ms] of profile.topAppInclusive.slice(0, 10))
    console.log(`      ${String(ms).padStart(6)} ms  ${name}`);
}

// ───────────────────────────── main ─────────────────────────────

interface ServiceSummary {
  phasePeaksMiB: Record<string, number>;
  hwmMiB: number;
  warnings: number;
  warningLines: string[];
  rssTimeline: Array<[number, number, string]>;
}

function summarizeService(service: Service): ServiceSummary {
  return {
    phasePeaksMiB: Object.fromEntries([...service.phasePeakKiB].map(([k, v]) => [k, round(v / 1024, 1)])),
    hwmMiB: service.hwmMiB(),
    warnings: service.warnings,
    warningLines: service.warningLines,
    rssTimeline: service.samples
      .filter((_, i) => i % 20 === 0)
      .map((sample) => [sample.t, round(sample.rssKiB / 1024, 1), sample.phase]),
  };
}

async function main(): Promise<void> {
  const began = performance.now();
  if (!existsSync(join(ROOT, 'dist/main.cjs')))
    throw new Error('dist/main.cjs is missing: run `npm run bench` (it builds first) or `npm run build`');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = join(ROOT, 'bench-results');
  await mkdir(resultsDir, { recursive: true });
  const resultsBase = join(resultsDir, stamp);
  const cores = availableParallelism();
  const machine = {
    cores,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    sharp: sharp.versions.sharp,
    vips: sharp.versions.vips,
    sharpConcurrency: sharp.concurrency(),
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
    loadAverageAtStart: loadavg().map((v) => round(v, 2)),
  };
  console.log(
    `Pixelmill bench${QUICK ? ' (quick)' : ''}${PROFILE ? ' (with CPU profiles: figures include profiler overhead)' : ''}`,
  );
  console.log(
    `cores (os.availableParallelism()): ${cores} · ${machine.cpu} · ${machine.memoryGiB} GiB · node ${machine.node} · sharp ${machine.sharp} / libvips ${machine.vips}`,
  );
  console.log(
    `sharp.concurrency() ${machine.sharpConcurrency} · UV_THREADPOOL_SIZE ${machine.uvThreadpoolSize} · load average ${machine.loadAverageAtStart.join(' ')}`,
  );
  console.log(`options: ${JSON.stringify({ ...OPTIONS, ceilingConcurrencies: undefined })}\n`);

  const fixtures = await loadFixtures();
  const serviceConfig = loadConfig({ ...process.env, DATA_DIR: tmpdir() });
  const encode = rawSharp(serviceConfig.output.defaults);
  const imagePipeline = new ImagePipeline(serviceConfig);
  const pipeline: Encode = (bytes) => imagePipeline.encode(bytes, serviceConfig.output.defaults);

  // 1. the ceiling, before any child runs
  const ceilings = {
    photo: await measureCeiling(encode, pipeline, fixtures.photo),
    small: await measureCeiling(encode, pipeline, fixtures.small),
  };

  const imageServer = await startImageServer([fixtures.photo, fixtures.small]);
  const runTag = stamp;
  const results: Record<string, unknown> = {
    machine,
    options: OPTIONS,
    fixtures: {},
    ceilings,
    serviceConcurrency: serviceConfig.workers.concurrency,
  };
  results.fixtures = Object.fromEntries(
    Object.values(fixtures).map((f) => [
      f.name,
      { file: f.file, width: f.width, height: f.height, bytes: f.bytes.length },
    ]),
  );

  const e2e: E2eResult[] = [];
  let soakResult: SoakResult | undefined;
  let e2eService: ServiceSummary | undefined;
  let soakService: ServiceSummary | undefined;
  const uploads: UploadResult[] = [];
  let breakdown: UploadBreakdown | undefined;
  let floor: UploadFloor | undefined;
  let postgresUploadMs: number | undefined;
  const uploadServices: Record<number, ServiceSummary> = {};
  const summarize = summarizeService;
  let hostile: Awaited<ReturnType<typeof hostilePhase>> | undefined;
  let fairnessResult: FairnessResult | undefined;
  let queue: QueueResult | undefined;
  let postgresE2eSkipped: string | undefined;
  let autoE2e: E2eResult | undefined;
  let compression: Awaited<ReturnType<typeof compressionPhase>> | undefined;
  let twoClients: TwoClientsResult | undefined;
  let queueBacklog: BacklogResult | undefined;
  let noisy: NoisyNeighbourResult | undefined;

  try {
    // 2. + 3. end to end, then the soak, on one service
    if (OPTIONS.photos > 0 || OPTIONS.small > 0) {
      const service = await Service.start('e2e');
      try {
        log(
          `service (e2e) pid ${service.pid} at ${service.base}, CONCURRENCY ${serviceConfig.workers.concurrency}`,
        );
        if (OPTIONS.photos > 0)
          e2e.push(
            await endToEnd(
              service,
              fixtures.photo,
              OPTIONS.photos,
              imageServer.base,
              ceilings.photo,
              runTag,
              resultsBase,
            ),
          );
        if (OPTIONS.small > 0)
          e2e.push(
            await endToEnd(
              service,
              fixtures.small,
              OPTIONS.small,
              imageServer.base,
              ceilings.small,
              runTag,
              resultsBase,
            ),
          );
        for (const r of e2e)
          log(`e2e ${r.label}: ${r.images} images in ${r.seconds} s = ${r.imagesPerSecond}/s`);
        // the cost of quality=auto end to end, beside the default run (kept apart: no ceiling to compare with)
        if (OPTIONS.autoPhotos > 0) {
          autoE2e = await endToEnd(
            service,
            fixtures.photo,
            OPTIONS.autoPhotos,
            imageServer.base,
            ceilings.photo,
            runTag,
            resultsBase,
            { fields: { quality: 'auto' } },
          );
          log(
            `e2e ${autoE2e.image}: ${autoE2e.images} images in ${autoE2e.seconds} s = ${autoE2e.imagesPerSecond}/s`,
          );
        }
        e2eService = summarize(service);
      } finally {
        await service.stop();
      }
    }

    // 2b. the same on PostgreSQL, shared by worker processes
    if ((OPTIONS.photos > 0 || OPTIONS.small > 0) && OPTIONS.postgresWorkers > 0) {
      postgresE2eSkipped = await postgresUnavailable();
      if (postgresE2eSkipped) log(`e2e on PostgreSQL skipped: ${postgresE2eSkipped}`);
      else
        e2e.push(
          ...(await endToEndOnPostgres(
            [
              { fixture: fixtures.photo, count: OPTIONS.photos, ceiling: ceilings.photo },
              { fixture: fixtures.small, count: OPTIONS.small, ceiling: ceilings.small },
            ].filter((run) => run.count > 0),
            imageServer.base,
            runTag,
            resultsBase,
          )),
        );
    }

    // 3. memory over a long run, on a fresh service (one that has made photos first already has
    // grown heaps, which would hide growth)
    if (OPTIONS.soak > 0) {
      const service = await Service.start('soak');
      try {
        log(`service (soak) pid ${service.pid} at ${service.base}`);
        soakResult = await soak(
          service,
          fixtures.small,
          OPTIONS.soak,
          imageServer.base,
          ceilings.small,
          runTag,
        );
        log(
          `soak: ${soakResult.images} images, RSS ${soakResult.rssAfter1000MiB} → ${soakResult.rssEndMiB} MiB`,
        );
        soakService = summarize(service);
      } finally {
        await service.stop();
      }
    }

    // the ceiling once more, now that the service is gone; the ratios use the best figure
    if (e2e.length > 0 || soakResult) {
      for (const fixture of [fixtures.photo, fixtures.small]) {
        if (e2e.some((r) => r.image === fixture.name) || (fixture === fixtures.small && soakResult)) {
          await remeasureCeiling(encode, fixture, ceilings[fixture.name as 'photo' | 'small']);
        }
      }
      for (const r of e2e) compareWithCeiling(r, ceilings[r.image as 'photo' | 'small']);
      if (soakResult) compareSoakWithCeiling(soakResult, ceilings.small);
      for (const r of e2e) log(`e2e ${r.label}: ratio ${r.ratio} (adjusted ${r.adjustedRatio})`);
    }

    // 7. fairness, on a fresh service: a small request right behind a large one
    if (OPTIONS.fairness > 0) {
      const service = await Service.start('fairness');
      try {
        log(`service (fairness) pid ${service.pid} at ${service.base}`);
        fairnessResult = await fairness(service, fixtures.small, OPTIONS.fairness, imageServer.base, runTag);
        log(
          `fairness: 3 images behind ${OPTIONS.fairness} completed in ${fairnessResult.smallSeconds} s; the large request had ${fairnessResult.largeProcessedMeanwhile} done`,
        );
      } finally {
        await service.stop();
      }
    }

    // 4. uploads: first piece by piece in this process, then through the service
    if (OPTIONS.uploadRows.length > 0) {
      const largest = Math.max(...OPTIONS.uploadRows);
      log(`upload breakdown (in-process) for ${largest} rows`);
      breakdown = await uploadBreakdown(largest, imageServer.base);
      const postgresSkipped = await postgresUnavailable();
      floor = await uploadFloor(largest, uploadRowUrls(imageServer.base, 'floor'), postgresSkipped);
      log(`upload floor for ${largest} rows: ${JSON.stringify(floor)}`);
      if (!postgresSkipped) postgresUploadMs = await timeUploadOnPostgres(largest, imageServer.base);

      // a fresh service per size: the upload is measured on an idle service, and the images
      // processed meanwhile are that request's own
      for (const rows of OPTIONS.uploadRows) {
        const service = await Service.start(`upload-${rows}`);
        try {
          log(`service (upload ${rows}) pid ${service.pid} at ${service.base}`);
          const probe = await service.upload(
            imagesCsv([`${imageServer.base}/small.jpg?probe=${runTag}`]),
            'probe.csv',
          );
          await waitForCompletion(service, probe.body.request_id, 60_000);
          uploads.push(await timeUpload(service, rows, imageServer.base, probe.body.request_id, resultsBase));
          uploadServices[rows] = summarize(service);
        } finally {
          await service.stop();
        }
      }
    }

    // 10. two clients (API keys) sharing the workers: the second one's share of the throughput
    if (OPTIONS.twoClients)
      twoClients = await twoClientsPhase(
        (label, env) => Service.start(label, { env }),
        (tag) => `${imageServer.base}/small.jpg?two=${runTag}-${tag}`,
        { quick: QUICK, postgresWorkers: OPTIONS.postgresWorkers },
      );

    // 6. hostile uploads: linear cost, short stalls, whatever the shape of the file
    if (OPTIONS.hostile) hostile = await hostilePhase();

    // 10. noisy neighbour: one client's costly images against another's latency, and the peak RSS
    if (OPTIONS.noisyImages > 0) {
      const main = join(ROOT, 'dist/main.cjs');
      noisy = await noisyNeighbourPhase({ main, ...OPTIONS, flatAuto: !QUICK });
    }

    // 9. compression: the photo fixtures written every way, bytes, similarity and CPU
    if (OPTIONS.compression) compression = await compressionPhase(serviceConfig, FIXTURES, QUICK);

    // 8. the queue on PostgreSQL: completions per second with 1…8 worker processes
    if (OPTIONS.queueImages > 0)
      queue = await queuePhase({
        images: OPTIONS.queueImages,
        requests: 4,
        workerCounts: OPTIONS.queueWorkers,
        concurrency: OPTIONS.queueConcurrency,
        profileDir: PROFILE ? `${resultsBase}-queue-workers` : undefined,
      });
    // 8b. the same at a large backlog (100 owners, 100 images a request): claim latency, completions/s
    if (OPTIONS.queueBacklog > 0)
      queueBacklog = await backlogPhase({
        images: OPTIONS.queueBacklog,
        requests: OPTIONS.queueBacklog / 100,
        owners: 100,
        postgresWorkers: 4,
        concurrency: OPTIONS.queueConcurrency,
        seconds: OPTIONS.queueBacklogSeconds,
      });
  } finally {
    await imageServer.close();
  }

  // ─── the report ───
  const photo = e2e.find((r) => r.label === 'photo');
  const small = e2e.find((r) => r.label === 'small');
  const big = uploads.find((u) => u.rows >= TARGETS.uploadRows);
  const statusRuns = uploads.map((u) => u.statusWhileProcessing.p95Ms);
  const targets = [
    {
      target: `e2e photo ≥ ${TARGETS.photoRatio} of ceiling`,
      value: photo ? `${photo.ratio}` : '–',
      ok: photo ? photo.ratio >= TARGETS.photoRatio && photo.status === 'completed' : undefined,
    },
    {
      target: `e2e small ≥ ${TARGETS.smallRatio} of ceiling`,
      value: small ? `${small.ratio}` : '–',
      ok: small ? small.ratio >= TARGETS.smallRatio && small.status === 'completed' : undefined,
    },
    ...[photo, small].flatMap((embedded) => {
      const shared = e2e.find((r) => r.image === embedded?.image && r !== embedded);
      if (!embedded) return [];
      const share = shared ? round(shared.imagesPerSecond / embedded.imagesPerSecond, 2) : undefined;
      return [
        {
          target: `e2e ${embedded.image} main thread beyond sharp < ${TARGETS.mainThreadMsPerImage} ms/img`,
          value: `${embedded.mainThreadOverheadMsPerImage} ms${shared ? ` (PostgreSQL: ${shared.mainThreadOverheadMsPerImage} ms)` : ''}`,
          ok: embedded.mainThreadOverheadMsPerImage < TARGETS.mainThreadMsPerImage,
        },
        {
          target: `e2e ${embedded.image} on PostgreSQL, ${OPTIONS.postgresWorkers} workers ≥ ${TARGETS.postgresShare} × embedded images/s`,
          value: shared
            ? `${share} (${shared.imagesPerSecond}/s vs ${embedded.imagesPerSecond}/s)`
            : postgresE2eSkipped
              ? `skipped: ${postgresE2eSkipped}`
              : 'not run',
          ok:
            shared && share !== undefined
              ? share >= TARGETS.postgresShare && shared.status === 'completed'
              : undefined,
        },
      ];
    }),
    {
      target: `100k-row upload 202 ≤ ${TARGETS.uploadSeconds} s`,
      value: big ? `${round(big.uploadMs / 1000, 2)} s` : 'not run',
      ok: big ? big.uploadMs <= TARGETS.uploadSeconds * 1000 : undefined,
    },
    {
      target: `100k-row upload on PostgreSQL 202 ≤ ${TARGETS.uploadSecondsPostgres} s`,
      value: postgresUploadMs !== undefined && big ? `${round(postgresUploadMs / 1000, 2)} s` : 'not run',
      ok:
        postgresUploadMs !== undefined && big
          ? postgresUploadMs <= TARGETS.uploadSecondsPostgres * 1000
          : undefined,
    },
    {
      target: `100k-row upload peak RSS < ${TARGETS.uploadRssMiB} MiB`,
      value: big ? `${big.peakRssMiB} MiB` : 'not run',
      ok: big ? big.peakRssMiB < TARGETS.uploadRssMiB : undefined,
    },
    {
      target: `GET /status p95 < ${TARGETS.statusMs} ms while processing`,
      value: uploads.length
        ? `${Math.max(...statusRuns)} ms (max ${Math.max(...uploads.map((u) => u.statusWhileProcessing.maxMs))})`
        : 'not run',
      ok: uploads.length ? Math.max(...statusRuns) < TARGETS.statusMs : undefined,
    },
    {
      target: `memory flat: RSS growth after 1,000 images ≤ ${TARGETS.rssGrowth * 100}%`,
      value: soakResult
        ? `${soakResult.growthMiB >= 0 ? '+' : ''}${soakResult.growthMiB} MiB (${round(soakResult.growthFraction * 100, 1)}%)`
        : 'not run',
      ok: soakResult ? soakResult.growthFraction <= TARGETS.rssGrowth : undefined,
    },
    {
      // With the limits raised 48-fold so that the shapes are parsed, one 16 MiB record is one 16 MiB
      // row to store, synchronously: the raised service's stall is reported beside the figures above.
      target: `hostile uploads (default limits): longest event-loop stall < ${TARGETS.hostileStallMs} ms`,
      value: hostile
        ? `${longestStall(hostile.results, 'default')} ms (raised limits: ${longestStall(hostile.results, 'raised')} ms)`
        : 'not run',
      ok: hostile ? longestStall(hostile.results, 'default') < TARGETS.hostileStallMs : undefined,
    },
    {
      target: `hostile uploads: linear (service CPU grows ≤ ${TARGETS.hostileGrowthSlack} × the input's growth)`,
      value: hostile ? hostileGrowthSummary(hostile.results) : 'not run',
      ok: hostile
        ? hostile.results.every(
            (r) =>
              r.cpuGrowth === undefined ||
              r.inputGrowth === undefined ||
              r.cpuGrowth <= r.inputGrowth * TARGETS.hostileGrowthSlack,
          )
        : undefined,
    },
  ];
  const queueRuns = queue && 'runs' in queue ? queue.runs : [];
  const bestQueue = queueRuns.length ? Math.max(...queueRuns.map((r) => r.completionsPerSecond)) : undefined;
  targets.push(
    {
      target: `fairness: 3 images behind ${OPTIONS.fairness} complete ≤ ${TARGETS.fairnessSeconds} s`,
      value: fairnessResult
        ? `${fairnessResult.smallSeconds} s (large: ${fairnessResult.largeProcessedMeanwhile} done)`
        : 'not run',
      ok: fairnessResult
        ? fairnessResult.smallSeconds <= TARGETS.fairnessSeconds && fairnessResult.smallStatus === 'completed'
        : undefined,
    },
    {
      target: `queue on PostgreSQL ≥ ${TARGETS.queueCompletionsPerSecond} completions/s`,
      value:
        bestQueue !== undefined
          ? `${bestQueue}/s`
          : queue && 'skipped' in queue
            ? `skipped: ${queue.skipped}`
            : 'not run',
      ok:
        bestQueue !== undefined
          ? bestQueue >= TARGETS.queueCompletionsPerSecond && queueRuns.every((r) => r.exact)
          : undefined,
    },
    ...twoClientsTargets(twoClients, 0.4),
    ...backlogTargets(queueBacklog),
  );
  const totalSeconds = round((performance.now() - began) / 1000, 1);
  Object.assign(results, {
    e2e,
    autoE2e,
    compression,
    noisy,
    soak: soakResult,
    uploads,
    uploadBreakdown: breakdown,
    uploadFloor: floor,
    postgresUploadMs,
    e2eService,
    soakService,
    uploadServices,
    hostile,
    fairness: fairnessResult,
    queue,
    queueBacklog,
    twoClients,
    targets: targets.map((t) => ({ ...t, verdict: verdict(t.ok) })),
    loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
    totalSeconds,
  });

  console.log(
    `\n══ Pixelmill bench ${stamp}${QUICK ? ' (quick)' : ''} · ${cores} cores · ${machine.cpu} · node ${machine.node} · sharp ${machine.sharp} ══`,
  );
  console.log(
    `\n1. Raw sharp ceiling (decode → autoOrient() → ${serviceConfig.output.defaults.format} q${serviceConfig.output.defaults.quality === 'auto' ? 50 : serviceConfig.output.defaults.quality}, input in memory), images/s; "again" = the best level re-measured after the e2e runs; "service pipeline": the service's ImagePipeline in the same loop at the best level (information only)`,
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
        c.servicePipeline
          ? `${c.servicePipeline.imagesPerSecond} (${round(c.servicePipeline.imagesPerSecond / c.best.imagesPerSecond, 2)}×)`
          : '–',
        c.best.cpuMsPerImage,
        c.best.mainThreadCpuMsPerImage,
        `${Math.round(c.best.otherCpuShare * 100)}%`,
      ]),
    ),
  );
  if (e2e.length) {
    console.log(
      `\n2. End to end (request created → completed by the service's clock; status polled ${QUICK ? 'every 25 ms' : 'once a second'}; service CONCURRENCY ${serviceConfig.workers.concurrency})`,
    );
    console.log(
      table(
        [
          'image',
          'images',
          'seconds',
          'images/s',
          'ceiling',
          'ratio',
          'adj. ratio',
          'CPU eff.',
          'status',
          'svc CPU ms/img',
          'main thread ms/img',
          'beyond sharp',
          'svc CPU use',
          "others' CPU",
          'peak RSS MiB',
        ],
        e2e.map((r) => [
          r.label,
          r.images,
          r.serverSeconds,
          r.imagesPerSecond,
          r.ceilingImagesPerSecond,
          r.ratio,
          r.adjustedRatio,
          r.cpuEfficiency,
          r.failedImages ? `${r.status} (${r.failedImages} failed)` : r.status,
          r.serviceCpuMsPerImage,
          r.mainThreadCpuMsPerImage,
          r.mainThreadOverheadMsPerImage,
          `${Math.round(r.serviceCpuUtilisation * 100)}%`,
          `${Math.round(r.otherCpuShare * 100)}%`,
          r.peakRssMiB,
        ]),
      ),
    );
    console.log(
      '   adj. ratio: both throughputs divided by the CPU share other processes left free (a hint on a shared machine).',
    );
    console.log(
      "   CPU eff.: sharp's CPU per image in the ceiling ÷ the service's (1.0 = the service adds no CPU work).",
    );
    console.log(
      "   main thread ms/img: CPU of the service's main thread alone per image (/proc/<pid>/task/<pid>/stat; includes the upload, the status polls and the profiler when on); beyond sharp: less the ceiling's main-thread CPU per image.",
    );
    if (photo && autoE2e) printAutoThroughput(photo, autoE2e);
    for (const r of e2e) if (r.profile) printProfile(`e2e ${r.label}`, r.profile);
  }
  if (compression) printCompression(compression);
  if (noisy) printNoisyNeighbour(noisy);
  if (soakResult) {
    console.log('\n3. Memory over a long run (small images, a fresh service)');
    console.log(
      table(
        [
          'images',
          'seconds',
          'images/s',
          'ratio',
          'adj. ratio',
          'svc CPU use',
          "others' CPU",
          'RSS @1000 MiB',
          'RSS end MiB',
          'RSS peak MiB',
          'growth',
          'MiB / 1000 img',
        ],
        [
          [
            soakResult.images,
            soakResult.seconds,
            soakResult.imagesPerSecond,
            soakResult.ratio,
            soakResult.adjustedRatio,
            `${Math.round(soakResult.serviceCpuUtilisation * 100)}%`,
            `${Math.round(soakResult.otherCpuShare * 100)}%`,
            soakResult.rssAfter1000MiB,
            soakResult.rssEndMiB,
            soakResult.rssPeakMiB,
            `${soakResult.growthMiB} MiB`,
            soakResult.slopeMiBPer1000,
          ],
        ],
      ),
    );
  }
  if (uploads.length) {
    console.log('\n4. Upload (3 URLs a row) and GET /status latency, ms');
    console.log(
      table(
        [
          'rows',
          'URLs',
          'CSV MiB',
          '202 after s',
          'svc CPU s',
          "others' CPU",
          'peak RSS MiB',
          'status during upload p50/max',
          'status while processing p50/p95/max',
          'img/s meanwhile',
        ],
        uploads.map((u) => [
          u.rows,
          u.urls,
          u.csvMiB,
          round(u.uploadMs / 1000, 2),
          round(u.serviceCpuMs / 1000, 2),
          `${Math.round(u.otherCpuShare * 100)}%`,
          u.peakRssMiB,
          `${u.statusDuringUpload.p50Ms} / ${u.statusDuringUpload.maxMs} (n=${u.statusDuringUpload.count})`,
          `${u.statusWhileProcessing.p50Ms} / ${u.statusWhileProcessing.p95Ms} / ${u.statusWhileProcessing.maxMs}`,
          u.imagesPerSecondWhileMeasuring,
        ]),
      ),
    );
    for (const u of uploads) if (u.profile) printProfile(`upload ${u.rows} rows`, u.profile);
  }
  if (breakdown) {
    const b = breakdown;
    console.log(
      `\n   Where a ${b.rows}-row upload's time goes (${b.csvMiB} MiB; the service's code from dist/, in the bench process, no HTTP), ms`,
    );
    console.log(
      table(
        [
          'sha256',
          'decode',
          'tokenizer',
          'validation',
          'parseProductCsv',
          'parse + store in tx',
          'of which INSERTs',
          'commit',
        ],
        [
          [
            b.sha256Ms,
            b.decodeMs,
            b.tokenizeMs,
            b.validationMs,
            b.parseProductCsvMs,
            b.storeTotalMs ?? NaN,
            b.insertMs ?? NaN,
            b.commitMs ?? NaN,
          ],
        ],
      ),
    );
    if (b.storeApi) console.log(`   (stored with ${b.storeApi})`);
    if (floor)
      console.log(
        `   Floor for ${floor.rows} rows (${floor.images} images), ms: parsed alone ${b.parseProductCsvMs}; inserted alone with better-sqlite3 ${floor.sqliteOneTransactionMs} (one transaction), ${floor.sqliteSlicedMs} (the service's 1,000-image slices); with pg (unnest) ${floor.postgresMs ?? `– (${floor.postgresSkipped})`}.${postgresUploadMs !== undefined ? ` The service on PostgreSQL answered 202 after ${postgresUploadMs} ms.` : ''}`,
      );
    if (b.error) console.log(`   breakdown incomplete: ${b.error}`);
  }
  const peaks = (label: string, s: ServiceSummary | undefined) => {
    if (!s) return;
    console.log(
      `   ${label}: peak RSS by phase ${Object.entries(s.phasePeaksMiB)
        .map(([k, v]) => `${k} ${v}`)
        .join(' · ')} MiB; VmHWM ${s.hwmMiB} MiB; ${s.warnings} warning/error log line(s)`,
    );
    for (const line of s.warningLines) console.log(`     ${line}`);
  };
  if (hostile) {
    console.log(
      '\n6. Hostile uploads: time to the answer, growth against the previous size, longest event-loop stall in the service (monitorEventLoopDelay), GET /status meanwhile',
    );
    console.log(
      table(
        [
          'limits',
          'upload',
          'MiB',
          'answer',
          'ms',
          'svc CPU ms',
          'growth input / time / CPU',
          'longest stall ms',
          'status max ms (n)',
          'peak RSS MiB',
        ],
        hostile.results.map((r) => [
          r.limits,
          r.name,
          r.inputMiB,
          r.status,
          r.answerMs,
          r.serviceCpuMs,
          r.inputGrowth === undefined ? '' : `×${r.inputGrowth} / ×${r.timeGrowth} / ×${r.cpuGrowth}`,
          r.maxStallMs,
          `${r.statusMaxMs} (${r.statusCount})`,
          r.peakRssMiB,
        ]),
      ),
    );
    console.log(
      '   raised: MAX_CELL_BYTES and MAX_RECORD_BYTES 48 MiB, MAX_COLUMNS 200,000, so the files are parsed; default: the limits refuse them',
    );
  }
  if (fairnessResult) {
    const f = fairnessResult;
    console.log('\n7. Fairness (embedded default, small images)');
    console.log(
      table(
        ['large request', 'small request', 'small: upload → done s', 'large meanwhile'],
        [
          [
            `${f.largeImages} images`,
            `${f.smallImages} images (${f.smallStatus})`,
            f.smallSeconds,
            `${f.largeProcessedMeanwhile}/${f.largeImages} (${round((100 * f.largeProcessedMeanwhile) / f.largeImages, 1)}%)`,
          ],
        ],
      ),
    );
  }
  if (queue && 'skipped' in queue) console.log(`\n8. Queue on PostgreSQL: skipped (${queue.skipped})`);
  if (queueRuns.length) {
    const q = queue as Extract<QueueResult, { runs: QueueRun[] }>;
    console.log(
      `\n8. Queue on PostgreSQL: ${q.options.images} images in ${q.options.requests} requests, worker processes with a processor that only records (CONCURRENCY ${q.options.concurrency} each)`,
    );
    console.log(
      table(
        [
          'workers',
          'seconds',
          'completions/s',
          'exact',
          'worker CPU ms/img',
          'PostgreSQL CPU ms/img',
          'cores: workers',
          'PostgreSQL',
          'others',
        ],
        queueRuns.map((r) => [
          r.workers,
          r.seconds,
          r.completionsPerSecond,
          r.exact ? 'yes' : 'NO',
          r.workerCpuMsPerCompletion,
          r.postgresCpuMsPerCompletion,
          r.workerCores,
          r.postgresCores,
          r.otherCores,
        ]),
      ),
    );
    const ceiling = postgresCeiling(queueRuns, cores);
    if (ceiling !== undefined)
      console.log(
        `   PostgreSQL's backends alone, on all ${cores} cores, would sustain ~${ceiling} completions/s (cores ÷ its CPU per completion).`,
      );
  }
  console.log('\n5. Service memory (VmRSS sampled every 50 ms)');
  peaks('e2e service', e2eService);
  peaks('soak service', soakService);
  for (const [rows, summary] of Object.entries(uploadServices)) peaks(`upload ${rows} service`, summary);
  for (const [limits, summary] of Object.entries(hostile?.services ?? {}))
    peaks(`hostile (${limits} limits) service`, summary);

  console.log('\nTargets');
  console.log(
    table(
      ['target', 'measured', 'verdict'],
      targets.map((t) => [t.target, t.value, verdict(t.ok)]),
    ),
  );
  console.log(
    `\nNote: ${cores} core(s) shared with whatever else runs on this machine (load average at start ${machine.loadAverageAtStart.join(' ')}, at end ${(results.loadAverageAtEnd as number[]).join(' ')}): absolute figures are noisy, ratios less so.`,
  );
  const jsonFile = `${resultsBase}.json`;
  await writeFile(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`Results: ${jsonFile} · total ${totalSeconds} s`);
}

try {
  await main();
} catch (error) {
  console.error(`\nbench crashed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
} finally {
  cleanupSync();
}
