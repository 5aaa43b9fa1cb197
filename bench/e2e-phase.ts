import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { productCsv } from '../test/helpers/csv.js';
import { PostgresDatabase } from '../test/helpers/postgres-database.js';
import type { CeilingResult } from './ceiling-phase.js';
import { CpuWatch, log, round } from './measure.js';
import { postgresUnavailable } from './queue-phase.js';
import type { Fixture } from './lib/fixtures.js';
import { OPTIONS, QUICK } from './lib/options.js';
import { printProfile, profiled, type ProfileSummary } from './lib/profile.js';
import { type ServiceSummary, summarizeService, table } from './lib/report.js';
import { Service } from './lib/service.js';

/**
 * Phase 2, end to end: the built service on a temp DATA_DIR fetching from the local image server,
 * upload → `completed` for N photos and N small images, against the ceiling; then the same on
 * PostgreSQL with BENCH_PG_WORKERS services sharing the queue.
 */

/**
 * On a shared machine the ceiling and the e2e run see different background load. Assuming
 * throughput is proportional to the CPU left free, each figure is divided by the share of the
 * machine that other processes left to it before comparing. A hint for noisy runs, not a target.
 */
export function adjustedRatio(imagesPerSecond: number, otherShare: number, ceiling: CeilingResult): number {
  const free = (share: number) => Math.max(0.05, 1 - share);
  return round(
    imagesPerSecond / free(otherShare) / (ceiling.best.imagesPerSecond / free(ceiling.best.otherCpuShare)),
    3,
  );
}

/** Fills in the figures that depend on the ceiling (once it is final). */
export function compareWithCeiling(result: E2eResult, ceiling: CeilingResult): void {
  result.ceilingImagesPerSecond = ceiling.best.imagesPerSecond;
  result.ratio = round(result.imagesPerSecond / ceiling.best.imagesPerSecond, 3);
  result.adjustedRatio = adjustedRatio(result.imagesPerSecond, result.otherCpuShare, ceiling);
  result.cpuEfficiency = round(ceiling.best.cpuMsPerImage / result.serviceCpuMsPerImage, 2);
  result.mainThreadOverheadMsPerImage = round(
    result.mainThreadCpuMsPerImage - ceiling.best.mainThreadCpuMsPerImage,
    2,
  );
  result.ceilingCpuMsPerImage = {
    total: ceiling.best.cpuMsPerImage,
    mainThread: ceiling.best.mainThreadCpuMsPerImage,
    nodeThreads: ceiling.best.nodeThreadsCpuMsPerImage ?? NaN,
  };
}

export interface E2eResult {
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
  /** CPU of the service's Node threads per image (see nodeThreadsCpuMs). */
  nodeThreadsCpuMsPerImage: number;
  /** The ceiling's CPU per image at its best level, by thread, for the table of where the CPU goes. */
  ceilingCpuMsPerImage?: { total: number; mainThread: number; nodeThreads: number };
  serviceCpuUtilisation: number;
  benchCpuMsPerImage: number;
  /** Share of all cores used by other processes meanwhile (a shared machine's noise). */
  otherCpuShare: number;
  peakRssMiB: number;
  profile?: ProfileSummary;
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
  const csv = productCsv(urls);
  service.setPhase(phase);
  const watches = processes.map((process) => new CpuWatch(process.pid));
  const timeoutMs = 60_000 + (count / ceiling.best.imagesPerSecond) * 20_000 * (variant ? 10 : 1);
  const { result, profile } = await profiled(service, phase, resultsBase, async () => {
    const start = performance.now();
    const accepted = await service.upload(csv, `${phase}.csv`, fields);
    const done = await service.completion(
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
    serviceNodeThreadsMs: reads.reduce((sum, read) => sum + read.serviceNodeThreadsMs, 0),
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
    nodeThreadsCpuMsPerImage: round(cpu.serviceNodeThreadsMs / count, 1),
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
  fixtures: { photo: Fixture; small: Fixture },
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
    await warmUp(services[0], fixtures, imageBase, `${runTag}-pg`);
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

export interface EndToEndOutcome {
  e2e: E2eResult[];
  /** Photos with quality=auto, beside the default run (kept apart: no ceiling to compare with). */
  autoE2e?: E2eResult;
  e2eService?: ServiceSummary;
  /** Why the runs on PostgreSQL were skipped. */
  postgresE2eSkipped?: string;
}

/**
 * One request of both fixtures through `service` before anything is measured, as a service that has
 * been up for a while has: its JavaScript compiled by the JIT, its heaps, malloc arenas and database
 * pages grown, its connections open. The ceiling is warmed the same way (see measureCeiling); without
 * this, the first run measured the process's start (its photos ran in unoptimised JavaScript).
 */
async function warmUp(
  service: Service,
  fixtures: { photo: Fixture; small: Fixture },
  imageBase: string,
  runTag: string,
): Promise<void> {
  if (OPTIONS.warmUpImages === 0) return;
  const photos = Math.ceil(OPTIONS.warmUpImages / 6);
  const urls = Array.from({ length: OPTIONS.warmUpImages }, (_, i) => {
    const fixture = i < photos ? fixtures.photo : fixtures.small;
    return `${imageBase}/${fixture.name}.jpg?run=${runTag}-warm-up&n=${i}`;
  });
  const accepted = await service.upload(productCsv(urls), 'warm-up.csv');
  const { body } = await service.completion(accepted.body.request_id, 120_000);
  if (body.status !== 'completed') throw new Error(`the warm-up request ended ${body.status}`);
}

/** The runs on one embedded-default service, then the same on PostgreSQL, shared by worker processes. */
export async function endToEndPhase(
  fixtures: { photo: Fixture; small: Fixture },
  ceilings: { photo: CeilingResult; small: CeilingResult },
  imageBase: string,
  runTag: string,
  resultsBase: string,
  concurrency: number,
): Promise<EndToEndOutcome> {
  const outcome: EndToEndOutcome = { e2e: [] };
  const { e2e } = outcome;
  const runs = [
    { fixture: fixtures.photo, count: OPTIONS.photos, ceiling: ceilings.photo },
    { fixture: fixtures.small, count: OPTIONS.small, ceiling: ceilings.small },
  ].filter((run) => run.count > 0);
  if (runs.length === 0) return outcome;
  const service = await Service.start('e2e');
  try {
    log(`service (e2e) pid ${service.pid} at ${service.base}, CONCURRENCY ${concurrency}`);
    await warmUp(service, fixtures, imageBase, runTag);
    for (const { fixture, count, ceiling } of runs)
      e2e.push(await endToEnd(service, fixture, count, imageBase, ceiling, runTag, resultsBase));
    for (const r of e2e) log(`e2e ${r.label}: ${r.images} images in ${r.seconds} s = ${r.imagesPerSecond}/s`);
    // the cost of quality=auto end to end, beside the default run (kept apart: no ceiling to compare with)
    if (OPTIONS.autoPhotos > 0) {
      const auto = await endToEnd(
        service,
        fixtures.photo,
        OPTIONS.autoPhotos,
        imageBase,
        ceilings.photo,
        runTag,
        resultsBase,
        { fields: { quality: 'auto' } },
      );
      outcome.autoE2e = auto;
      log(`e2e ${auto.image}: ${auto.images} images in ${auto.seconds} s = ${auto.imagesPerSecond}/s`);
    }
    outcome.e2eService = summarizeService(service);
  } finally {
    await service.stop();
  }

  // the same on PostgreSQL, shared by worker processes
  if (OPTIONS.postgresWorkers > 0) {
    outcome.postgresE2eSkipped = await postgresUnavailable();
    if (outcome.postgresE2eSkipped) log(`e2e on PostgreSQL skipped: ${outcome.postgresE2eSkipped}`);
    else e2e.push(...(await endToEndOnPostgres(runs, fixtures, imageBase, runTag, resultsBase)));
  }
  return outcome;
}

/** The end-to-end run of photos with quality=auto, beside the default run. */
function printAutoThroughput(photo: E2eResult, auto: E2eResult): void {
  const perSecond = (r: E2eResult) => r.images / r.seconds;
  console.log(
    `   quality=auto, photos: ${auto.images} in ${auto.seconds} s = ${round(perSecond(auto), 3)}/s, ${auto.serviceCpuMsPerImage} service CPU ms/img (others' CPU ${Math.round(auto.otherCpuShare * 100)}%, ${auto.status}); the default run: ${round(perSecond(photo), 3)}/s, ${photo.serviceCpuMsPerImage} CPU ms/img: ×${round(perSecond(photo) / perSecond(auto), 1)} the time, ×${round(auto.serviceCpuMsPerImage / photo.serviceCpuMsPerImage, 1)} the CPU per photo`,
  );
}

/**
 * Where an image's CPU goes, the service's against raw sharp's (the ceiling's best level), by thread:
 * the main thread; Node's other threads (libuv's pool, where sharp encodes and the service hashes and
 * writes files; V8's helpers; the database's checkpointer); and libvips' workers, where sharp decodes
 * and processes pixels (the rest). Each difference is the service's own work there, or the machine's noise.
 */
function printCpuByThread(e2e: E2eResult[]): void {
  const compared = e2e.filter((r) => r.ceilingCpuMsPerImage);
  if (compared.length === 0) return;
  const pair = (service: number, raw: number) => `${round(service, 1)} / ${round(raw, 1)}`;
  const libvips = (total: number, main: number, node: number) => total - main - node;
  console.log(
    "\n   Where an image's CPU goes, ms: the service (e2e) / raw sharp (the ceiling's best level), by thread",
  );
  console.log(
    table(
      ['image', 'main thread', "Node's other threads", "libvips' workers", 'all'],
      compared.map((r) => {
        const raw = r.ceilingCpuMsPerImage!;
        return [
          r.label,
          pair(r.mainThreadCpuMsPerImage, raw.mainThread),
          pair(r.nodeThreadsCpuMsPerImage, raw.nodeThreads),
          pair(
            libvips(r.serviceCpuMsPerImage, r.mainThreadCpuMsPerImage, r.nodeThreadsCpuMsPerImage),
            libvips(raw.total, raw.mainThread, raw.nodeThreads),
          ),
          pair(r.serviceCpuMsPerImage, raw.total),
        ];
      }),
    ),
  );
  console.log(
    "   Node's other threads: libuv's pool (sharp's encoding; the service's hashing and file writes), V8's helpers, the database's checkpointer; libvips' workers: sharp's decoding and pixel work. /proc counts each thread's CPU in 10 ms ticks: over few images (--quick), a column is a hint.",
  );
}

export function printEndToEnd(e2e: E2eResult[], autoE2e: E2eResult | undefined, concurrency: number): void {
  console.log(
    `\n2. End to end (request created → completed by the service's clock; status polled ${QUICK ? 'every 25 ms' : 'once a second'}; service CONCURRENCY ${concurrency}; each service first made a warm-up request of ${OPTIONS.warmUpImages} images, not counted)`,
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
  printCpuByThread(e2e);
  const photo = e2e.find((r) => r.label === 'photo');
  if (photo && autoE2e) printAutoThroughput(photo, autoE2e);
  for (const r of e2e) if (r.profile) printProfile(`e2e ${r.label}`, r.profile);
}
