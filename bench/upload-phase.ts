import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { productCsv } from '../test/helpers/csv.js';
import { PostgresDatabase } from '../test/helpers/postgres-database.js';
import { CpuWatch, latencySummary, log, MiB, round } from './measure.js';
import { OPTIONS } from './lib/options.js';
import { printProfile, profiled, type ProfileSummary } from './lib/profile.js';
import { type ServiceSummary, summarizeService, table } from './lib/report.js';
import { Service } from './lib/service.js';
import { uploadCsv, uploadRowUrls } from './lib/upload-csv.js';
import { postgresUnavailable } from './queue-phase.js';
import { type UploadBreakdown, uploadBreakdown } from './upload-breakdown.js';
import { type UploadFloor, uploadFloor } from './upload-floor.js';

/**
 * Phase 4, uploads: CSVs of 3 URLs a row, time to 202, service RSS, the event loop's longest stall and
 * GET /status latency during the upload, GET /status latency while the images are processed; the
 * largest once more on PostgreSQL.
 */

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

export interface UploadResult {
  rows: number;
  urls: number;
  csvMiB: number;
  uploadMs: number;
  /** CPU the service used between sending the upload and its 202. */
  serviceCpuMs: number;
  otherCpuShare: number;
  peakRssMiB: number;
  hwmMiB: number;
  /** The service's event loop, from the upload's first byte to its 202 (bench/loop-probe.mjs): longest stall, p99. */
  loopDuringUpload: { maxMs: number; p99Ms: number };
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
  await service.loopDelay('reset');
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
  const loop = await service.loopDelay('read');
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
    loopDuringUpload: { maxMs: round(loop.maxMs, 1), p99Ms: round(loop.p99Ms, 1) },
    statusDuringUpload: latencySummary(result.duringUpload),
    statusWhileProcessing: latencySummary(whileProcessing),
    imagesPerSecondWhileMeasuring: round(processedRate, 1),
    profile,
  };
}

export interface UploadOutcome {
  uploads: UploadResult[];
  breakdown: UploadBreakdown;
  floor: UploadFloor;
  postgresUploadMs?: number;
  uploadServices: Record<number, ServiceSummary>;
}

/** First piece by piece in this process (the breakdown, the floor), then through the service. */
export async function uploadPhase(
  imageBase: string,
  runTag: string,
  resultsBase: string,
): Promise<UploadOutcome> {
  const largest = Math.max(...OPTIONS.uploadRows);
  log(`upload breakdown (in-process) for ${largest} rows`);
  const breakdown = await uploadBreakdown(largest, imageBase);
  const postgresSkipped = await postgresUnavailable();
  const floor = await uploadFloor(largest, uploadRowUrls(imageBase, 'floor'), postgresSkipped);
  log(`upload floor for ${largest} rows: ${JSON.stringify(floor)}`);
  const postgresUploadMs = postgresSkipped ? undefined : await timeUploadOnPostgres(largest, imageBase);

  // a fresh service per size: the upload is measured on an idle service, and the images
  // processed meanwhile are that request's own
  const uploads: UploadResult[] = [];
  const uploadServices: Record<number, ServiceSummary> = {};
  for (const rows of OPTIONS.uploadRows) {
    const service = await Service.start(`upload-${rows}`, { loopProbe: true });
    try {
      log(`service (upload ${rows}) pid ${service.pid} at ${service.base}`);
      const probe = await service.upload(productCsv([`${imageBase}/small.jpg?probe=${runTag}`]), 'probe.csv');
      await service.completion(probe.body.request_id, 60_000);
      uploads.push(await timeUpload(service, rows, imageBase, probe.body.request_id, resultsBase));
      uploadServices[rows] = summarizeService(service);
    } finally {
      await service.stop();
    }
  }
  return { uploads, breakdown, floor, postgresUploadMs, uploadServices };
}

export function printUploads(uploads: UploadResult[]): void {
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
        'longest stall ms',
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
        u.loopDuringUpload.maxMs,
        `${u.statusDuringUpload.p50Ms} / ${u.statusDuringUpload.maxMs} (n=${u.statusDuringUpload.count})`,
        `${u.statusWhileProcessing.p50Ms} / ${u.statusWhileProcessing.p95Ms} / ${u.statusWhileProcessing.maxMs}`,
        u.imagesPerSecondWhileMeasuring,
      ]),
    ),
  );
  for (const u of uploads) if (u.profile) printProfile(`upload ${u.rows} rows`, u.profile);
}
