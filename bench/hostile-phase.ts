import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CSV_HEADER } from '../test/helpers/csv.js';
import { CpuWatch, log, MiB, round } from './measure.js';
import { QUICK } from './lib/options.js';
import { type ServiceSummary, summarizeService, table } from './lib/report.js';
import { Service } from './lib/service.js';

/**
 * Phase 6, hostile uploads: records of 1, 4 and 16 MiB, headers of 10k and 100k columns, a 49 MiB
 * line and a URL-heavy 49 MiB CSV, on a service with raised limits (parsed) and one with the
 * defaults (refused): time, growth, the longest event-loop stall inside the service, GET /status
 * meanwhile, peak RSS.
 */

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

/** The cases measured, and each service's memory (raised and default limits). */
export interface HostileOutcome {
  results: HostileResult[];
  services: Record<string, ServiceSummary>;
}

const HOSTILE_URL = 'http://127.0.0.1:9/a.jpg';

/** One product row whose fourth cell is `mib` MiB of quoted text with commas, escaped quotes and line ends. */
function hugeRecordCsv(mib: number): string {
  const piece = 'lorem ipsum, ""dolor"" sit\namet ';
  const repeats = Math.round((mib * MiB) / (piece.length - 2));
  return `${CSV_HEADER},Notes\n1,P,${HOSTILE_URL},"${piece.repeat(repeats)}"\n`;
}

function wideHeaderCsv(columns: number): string {
  const extra = Array.from({ length: columns - 3 }, (_, i) => `Column ${i}`).join(',');
  return `${CSV_HEADER},${extra}\n1,P,${HOSTILE_URL}\n`;
}

/** Rows of 50 URLs each (50 distinct URLs in all: the rest are duplicates, so the worker stays idle). */
function urlHeavyCsv(mib: number): string {
  const urls = Array.from({ length: 50 }, (_, k) => `http://127.0.0.1:9/images/product-photo-${k}.jpg`).join(
    ',',
  );
  const lines = [CSV_HEADER];
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

export function longestStall(results: HostileResult[], limits: HostileResult['limits']): number {
  return Math.max(...results.filter((r) => r.limits === limits).map((r) => r.maxStallMs));
}

export function hostileGrowthSummary(results: HostileResult[]): string {
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
export async function hostilePhase(): Promise<HostileOutcome> {
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

export function printHostile(results: HostileResult[]): void {
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
      results.map((r) => [
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
