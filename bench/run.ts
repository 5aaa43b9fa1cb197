/**
 * `npm run bench`: how close the service comes to what sharp alone can do.
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
 *  12. reimport    on a fresh embedded service, a catalog of distinct small images (a third without
 *                 validators) imported twice unchanged: time, service CPU, what the image server was
 *                 asked and sent (conditional GETs, 304s, body bytes) and the encodes, first against second
 *   9. compression the photo fixtures written every way (sharp q50, mozjpeg at fixed qualities, quality=auto,
 *                 WebP, AVIF): bytes against the seed's Pillow q50 output, the SSIM auto uses, CPU per image
 *                 (bench/compression-phase.ts); and, in phase 2, an end-to-end run of photos with
 *                 quality=auto beside the default run
 *
 * One file per phase (bench/<phase>-phase.ts …), shared pieces in bench/lib/; this file runs them in
 * order and prints the report: a table, and bench-results/<timestamp>.json. Exits non-zero only when
 * something crashes, never for a missed target. Options (flags or environment):
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
 *   BENCH_REIMPORT (1000; 0 skips phase 12: a catalog of that many images imported twice, bench/reimport-phase.ts)
 * Every other variable (CONCURRENCY, JPEG_QUALITY, UV_THREADPOOL_SIZE, MALLOC_ARENA_MAX, …) reaches
 * both the ceiling's loops and the service child, so settings can be compared run against run
 * (DATABASE_URL and STORAGE_DIR do not: the child always runs the embedded default on a temp dir).
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { loadConfig } from '../src/config/app-config.js';
import { ImagePipeline } from '../src/images/image-pipeline.js';
import {
  type Encode,
  measureCeiling,
  measureIoFloor,
  printCeilings,
  rawSharp,
  remeasureCeiling,
} from './ceiling-phase.js';
import { compressionPhase, printCompression } from './compression-phase.js';
import { compareWithCeiling, endToEndPhase, printEndToEnd } from './e2e-phase.js';
import { fairnessPhase, printFairness } from './fairness-phase.js';
import { hostilePhase, printHostile } from './hostile-phase.js';
import { loadFixtures, startImageServer } from './lib/fixtures.js';
import { FIXTURES, OPTIONS, PROFILE, QUICK, ROOT } from './lib/options.js';
import { printServicePeaks, table, verdict } from './lib/report.js';
import { Service } from './lib/service.js';
import { type Measured, targetsOf } from './lib/targets.js';
import { removeTempDirs, removeTempDirsOnExit } from './lib/temp-dirs.js';
import { log, round } from './measure.js';
import { noisyNeighbourPhase, printNoisyNeighbour } from './noisy-neighbour.js';
import { backlogPhase } from './queue-backlog.js';
import { postgresCeiling, queuePhase, type QueueResult, type QueueRun } from './queue-phase.js';
import { compareSoakWithCeiling, printSoak, soakPhase } from './soak-phase.js';
import { printReimport, reimportPhase } from './reimport-phase.js';
import { twoClientsPhase } from './two-clients-phase.js';
import { printUploadBreakdown } from './upload-breakdown.js';
import { printUploads, type UploadOutcome, uploadPhase } from './upload-phase.js';

removeTempDirsOnExit();

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
  const imageBase = imageServer.baseUrl;
  // beside it, the I/O floor of each image the end-to-end phase makes (the faster of two runs, as the ceiling)
  const ioFloor = async (name: 'photo' | 'small') => {
    const level = await measureIoFloor(
      fixtures[name],
      `${imageBase}/${name}.jpg`,
      serviceConfig.workers,
      serviceConfig.output.defaults,
    );
    const earlier = ceilings[name].ioFloor;
    if (!earlier || level.imagesPerSecond > earlier.imagesPerSecond) ceilings[name].ioFloor = level;
  };
  const endToEndImages = { photo: OPTIONS.photos, small: OPTIONS.small };
  const floored = (['photo', 'small'] as const).filter((name) => endToEndImages[name] > 0);
  for (const name of floored) await ioFloor(name);
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

  const measured: Measured = { e2e: [], uploads: [] };
  const concurrency = serviceConfig.workers.concurrency;
  let endToEnd: Awaited<ReturnType<typeof endToEndPhase>> | undefined;
  let soak: Awaited<ReturnType<typeof soakPhase>> | undefined;
  let upload: UploadOutcome | undefined;
  let compression: Awaited<ReturnType<typeof compressionPhase>> | undefined;
  let noisy: Awaited<ReturnType<typeof noisyNeighbourPhase>> | undefined;

  try {
    // 2. end to end on one service, then on PostgreSQL shared by worker processes
    endToEnd = await endToEndPhase(fixtures, ceilings, imageBase, runTag, resultsBase, concurrency);
    measured.e2e = endToEnd.e2e;
    measured.postgresE2eSkipped = endToEnd.postgresE2eSkipped;

    // 3. memory over a long run, on a fresh service
    if (OPTIONS.soak > 0) {
      soak = await soakPhase(fixtures.small, OPTIONS.soak, imageBase, ceilings.small, runTag);
      measured.soak = soak.soak;
    }

    // the ceiling once more, now that the service is gone; the ratios use the best figure
    const { e2e } = measured;
    if (e2e.length > 0 || measured.soak) {
      for (const fixture of [fixtures.photo, fixtures.small]) {
        if (e2e.some((r) => r.image === fixture.name) || (fixture === fixtures.small && measured.soak)) {
          await remeasureCeiling(encode, fixture, ceilings[fixture.name as 'photo' | 'small']);
          if (floored.includes(fixture.name as 'photo' | 'small'))
            await ioFloor(fixture.name as 'photo' | 'small');
        }
      }
      for (const r of e2e) compareWithCeiling(r, ceilings[r.image as 'photo' | 'small']);
      if (measured.soak) compareSoakWithCeiling(measured.soak, ceilings.small);
      for (const r of e2e) log(`e2e ${r.label}: ratio ${r.ratio} (adjusted ${r.adjustedRatio})`);
    }

    // 7. fairness, on a fresh service: a small request right behind a large one
    if (OPTIONS.fairness > 0)
      measured.fairness = await fairnessPhase(fixtures.small, OPTIONS.fairness, imageBase, runTag);

    // 4. uploads: first piece by piece in this process, then through the service
    if (OPTIONS.uploadRows.length > 0) {
      upload = await uploadPhase(imageBase, runTag, resultsBase);
      measured.uploads = upload.uploads;
      measured.postgresUploadMs = upload.postgresUploadMs;
    }

    // 10. two clients (API keys) sharing the workers: the second one's share of the throughput
    if (OPTIONS.twoClients)
      measured.twoClients = await twoClientsPhase(
        (label, env) => Service.start(label, { env }),
        (tag) => `${imageBase}/small.jpg?two=${runTag}-${tag}`,
        { quick: QUICK, postgresWorkers: OPTIONS.postgresWorkers },
      );

    // 12. re-imports: a catalog imported twice, nothing changed
    if (OPTIONS.reimport > 0) measured.reimport = await reimportPhase(imageServer, OPTIONS.reimport, runTag);

    // 6. hostile uploads: linear cost, short stalls, whatever the shape of the file
    if (OPTIONS.hostile) measured.hostile = await hostilePhase();

    // 10. noisy neighbour: one client's costly images against another's latency, and the peak RSS
    if (OPTIONS.noisyImages > 0) {
      const main = join(ROOT, 'dist/main.cjs');
      noisy = await noisyNeighbourPhase({ main, ...OPTIONS, flatAuto: !QUICK });
    }

    // 9. compression: the photo fixtures written every way, bytes, similarity and CPU
    if (OPTIONS.compression) compression = await compressionPhase(serviceConfig, FIXTURES, QUICK);

    // 8. the queue on PostgreSQL: completions per second with 1…8 worker processes
    if (OPTIONS.queueImages > 0)
      measured.queue = await queuePhase({
        images: OPTIONS.queueImages,
        requests: 4,
        workerCounts: OPTIONS.queueWorkers,
        concurrency: OPTIONS.queueConcurrency,
        profileDir: PROFILE ? `${resultsBase}-queue-workers` : undefined,
      });
    // 8b. the same at a large backlog (100 owners, 100 images a request): claim latency, completions/s
    if (OPTIONS.queueBacklog > 0)
      measured.queueBacklog = await backlogPhase({
        images: OPTIONS.queueBacklog,
        requests: OPTIONS.queueBacklog / 100,
        owners: 100,
        postgresWorkers: 4,
        concurrency: OPTIONS.queueConcurrency,
        seconds: OPTIONS.queueBacklogSeconds,
      });
  } finally {
    await imageServer.stop();
  }

  // ─── the report ───
  const { e2e, hostile, queue } = measured;
  const targets = targetsOf(measured);
  const totalSeconds = round((performance.now() - began) / 1000, 1);
  Object.assign(results, {
    e2e,
    autoE2e: endToEnd?.autoE2e,
    compression,
    noisy,
    soak: measured.soak,
    uploads: measured.uploads,
    uploadBreakdown: upload?.breakdown,
    uploadFloor: upload?.floor,
    postgresUploadMs: measured.postgresUploadMs,
    e2eService: endToEnd?.e2eService,
    soakService: soak?.soakService,
    uploadServices: upload?.uploadServices ?? {},
    hostile,
    fairness: measured.fairness,
    queue,
    queueBacklog: measured.queueBacklog,
    twoClients: measured.twoClients,
    reimport: measured.reimport,
    targets: targets.map((t) => ({ ...t, verdict: verdict(t.ok) })),
    loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
    totalSeconds,
  });

  console.log(
    `\n══ Pixelmill bench ${stamp}${QUICK ? ' (quick)' : ''} · ${cores} cores · ${machine.cpu} · node ${machine.node} · sharp ${machine.sharp} ══`,
  );
  printCeilings(ceilings, serviceConfig.output.defaults);
  if (e2e.length) printEndToEnd(e2e, endToEnd?.autoE2e, concurrency);
  if (compression) printCompression(compression);
  if (noisy) printNoisyNeighbour(noisy);
  if (measured.soak) printSoak(measured.soak);
  if (measured.uploads.length) printUploads(measured.uploads);
  if (upload) printUploadBreakdown(upload.breakdown, upload.floor, upload.postgresUploadMs);
  if (hostile) printHostile(hostile.results);
  if (measured.fairness) printFairness(measured.fairness);
  if (measured.reimport) printReimport(measured.reimport);
  printQueue(queue, cores);
  console.log('\n5. Service memory (VmRSS sampled every 50 ms)');
  printServicePeaks('e2e service', endToEnd?.e2eService);
  printServicePeaks('soak service', soak?.soakService);
  for (const [rows, summary] of Object.entries(upload?.uploadServices ?? {}))
    printServicePeaks(`upload ${rows} service`, summary);
  for (const [limits, summary] of Object.entries(hostile?.services ?? {}))
    printServicePeaks(`hostile (${limits} limits) service`, summary);

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

/** Phase 8's table: completions per second by worker processes, and PostgreSQL's own ceiling. */
function printQueue(queue: QueueResult | undefined, cores: number): void {
  const queueRuns = queue && 'runs' in queue ? queue.runs : [];
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
          'statements/img',
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
          r.statementsPerCompletion,
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
}

try {
  await main();
} catch (error) {
  console.error(`\nbench crashed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
} finally {
  removeTempDirs();
}
