import { join, resolve } from 'node:path';

/** What the bench runs and against which targets: flags and environment, read once (see bench/run.ts). */

export const ROOT = resolve(import.meta.dirname, '../..');
export const FIXTURES = resolve(ROOT, 'test/fixtures/images');
export const PHOTO_FIXTURE = join(FIXTURES, 'photo-2725x2225.jpg');
/** 600×450 (0.27 MP) JPEG; made from the photo when the fixture is absent. */
export const SMALL_FIXTURE = join(FIXTURES, 'exif-orientation-8.jpg');

const argv = process.argv.slice(2);
export const QUICK = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
export const PROFILE = argv.includes('--profile') || process.env.BENCH_PROFILE === '1';

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}

export const OPTIONS = {
  quick: QUICK,
  profile: PROFILE,
  photos: intEnv('BENCH_PHOTOS', QUICK ? 4 : 300),
  small: intEnv('BENCH_SMALL', QUICK ? 8 : 1200),
  /** Images of the request each e2e service makes before the measured runs (a sixth of them photos). */
  warmUpImages: intEnv('BENCH_WARM_UP', QUICK ? 0 : 120),
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
  reimport: intEnv('BENCH_REIMPORT', QUICK ? 30 : 1000),
  queueBacklog: intEnv('BENCH_QUEUE_BACKLOG', QUICK ? 20_000 : 1_000_000),
  queueBacklogSeconds: intEnv('BENCH_QUEUE_BACKLOG_SECONDS', QUICK ? 5 : 30),
  // Noisy neighbour (bench/noisy-neighbour.ts): A's images, B's sampling window, the flat 100 MP PNGs.
  noisyImages: intEnv('BENCH_NOISY_IMAGES', QUICK ? 2 : 8),
  noisySeconds: intEnv('BENCH_NOISY_SECONDS', QUICK ? 10 : 60),
  flatImages: intEnv('BENCH_FLAT_IMAGES', QUICK ? 2 : 8),
};

export const TARGETS = {
  /** Against raw sharp (the ceiling): what the service adds (downloads, database, files, flatten, sRGB) must fit in the rest. */
  photoRatio: 0.9,
  smallRatio: 0.85,
  uploadRows: 100_000,
  uploadSeconds: 4,
  uploadSecondsPostgres: 6,
  uploadRssMiB: 500,
  /** The service's longest event-loop stall while it takes the 100k-row upload. */
  uploadStallMs: 100,
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
