/**
 * Phase "noisy neighbour": what one client's expensive images do to another client and to the machine.
 * Runs the built server as a child on a temporary DATA_DIR with two API keys; everything is on loopback.
 *
 *   1. noisy   client A uploads BENCH_NOISY_IMAGES rows of a noisy 12 MP JPEG (random pixels, the worst case
 *              for every encoder) with format=avif&quality=auto; for BENCH_NOISY_SECONDS while they are
 *              processed, client B's GET /files/… (an output of its own), a one-row upload (time to 202),
 *              /health/ready and GET /status are sampled one after another (30 s timeout each), and B's
 *              one-image request's time to completed is noted. A's work is not waited for.
 *   2. flat    BENCH_FLAT_IMAGES rows of a flat 10000×10000 PNG (MAX_IMAGE_PIXELS exactly; ~300 KB), once with
 *              the default output and once with quality=auto, each on a fresh service: time to completed and
 *              the service's peak RSS (VmHWM of /proc/<pid>/status), with the same samples meanwhile.
 *
 * `npx tsx bench/noisy-neighbour.ts [path/to/dist/main]` runs it alone against any build (default: this
 * checkout's). Stops by itself; timings on a shared machine are indicative.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { flatPng, noisyJpeg } from '../test/helpers/costly-images.js';
import { productCsv } from '../test/helpers/csv.js';
import { FixtureServer } from '../test/helpers/fixture-server.js';
import { freePort } from '../test/helpers/loopback-server.js';
import { BUILT_MAIN, ServerProcess } from '../test/helpers/server-process.js';
import { log, procStatus, round } from './measure.js';

const ALICE = 'alice-0123456789abcdefghijklmnop';
const BOB = 'bob-0123456789abcdefghijklmnopqrs';
const PROBE_TIMEOUT_MS = 30_000;
const SMALL = readFileSync(resolve(import.meta.dirname, '../test/fixtures/images/exif-orientation-8.jpg'));

interface NoisyOptions {
  main: string;
  noisyImages: number;
  noisySeconds: number;
  flatImages: number;
  /** Also the flat PNGs with quality=auto (the slow half). */
  flatAuto: boolean;
}

/** Latencies of one kind of probe, in ms; a probe that failed or timed out counts at its time and in `failed`. */
interface Latencies {
  samples: number;
  failed: number;
  p50: number;
  p95: number;
  max: number;
}

interface Probes {
  files: Latencies;
  upload: Latencies;
  ready: Latencies;
  status: Latencies;
}

export interface NoisyNeighbourResult {
  noisy: { images: number; seconds: number; probes: Probes; bImageSeconds: number | null };
  flat: Array<{
    variant: string;
    images: number;
    seconds: number | null;
    done: number;
    failed: number;
    peakRssMiB: number;
    probes: Probes;
  }>;
}

function summarize(values: Array<{ ms: number; ok: boolean }>): Latencies {
  const sorted = values.map((v) => v.ms).sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    samples: values.length,
    failed: values.filter((v) => !v.ok).length,
    p50: round(at(0.5), 1),
    p95: round(at(0.95), 1),
    max: round(sorted.at(-1) ?? NaN, 1),
  };
}

/** The inputs, made here (a noisy 12 MP JPEG and a flat 100 MP PNG), served from memory, each URL's bytes its own. */
async function startImageServer(): Promise<FixtureServer> {
  const distinct = { distinct: true };
  return new FixtureServer()
    .serve('/noisy.jpg', await noisyJpeg(4000, 3000), 'image/jpeg', distinct)
    .serve('/flat.png', await flatPng(), 'image/png', distinct)
    .serve('/small.jpg', SMALL, 'image/jpeg', distinct)
    .start();
}

class Client {
  constructor(
    private readonly base: string,
    private readonly key: string,
  ) {}

  async call(path: string, init: RequestInit = {}, timeoutMs = PROBE_TIMEOUT_MS): Promise<Response> {
    return fetch(`${this.base}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${this.key}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  async upload(urls: string[], fields: Record<string, string> = {}): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([productCsv(urls)], { type: 'text/csv' }), 'products.csv');
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    const response = await this.call('/upload', { method: 'POST', body: form });
    if (response.status !== 202)
      throw new Error(`upload answered ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { request_id: string }).request_id;
  }

  async status(id: string): Promise<{ status: string; processed_images: number; failed_images: number }> {
    return (await (await this.call(`/status/${id}`)).json()) as {
      status: string;
      processed_images: number;
      failed_images: number;
    };
  }

  async waitForCompletion(id: string, deadline: number): Promise<boolean> {
    while (Date.now() < deadline) {
      const status = (await this.status(id).catch(() => undefined))?.status;
      if (status !== undefined && status !== 'processing') return true;
      await sleep(200);
    }
    return false;
  }
}

/** One probe: its time, whether it answered as expected (a timeout or an error is not). */
async function timed(probe: () => Promise<boolean>): Promise<{ ms: number; ok: boolean }> {
  const started = performance.now();
  const ok = await probe().catch(() => false);
  return { ms: performance.now() - started, ok };
}

/** Samples B's probes one after another until `until()` says stop. */
async function sample(b: Client, imageBase: string, fileUrl: string, until: () => boolean): Promise<Probes> {
  const results = { files: [], upload: [], ready: [], status: [] } as Record<
    keyof Probes,
    Array<{ ms: number; ok: boolean }>
  >;
  const filePath = new URL(fileUrl).pathname;
  let statusId: string | undefined;
  for (let round = 0; !until(); round++) {
    results.files.push(await timed(async () => (await b.call(filePath)).ok));
    results.ready.push(await timed(async () => (await b.call('/health/ready')).ok));
    results.upload.push(
      await timed(async () => {
        statusId = await b.upload([`${imageBase}/small.jpg?probe=${round}`]);
        return true;
      }),
    );
    if (statusId) results.status.push(await timed(async () => (await b.call(`/status/${statusId}`)).ok));
    await sleep(250);
  }
  return {
    files: summarize(results.files),
    upload: summarize(results.upload),
    ready: summarize(results.ready),
    status: summarize(results.status),
  };
}

async function startService(main: string, dataDir: string): Promise<ServerProcess> {
  const service = new ServerProcess(
    {
      ...(process.env as Record<string, string>),
      DATA_DIR: dataDir,
      API_KEYS: `alice:${ALICE},bob:${BOB}`,
      ALLOW_PRIVATE_URLS: 'true',
      RATE_LIMIT_UPLOADS_PER_MIN: '0',
      LOG_LEVEL: 'warn',
    },
    await freePort(),
    main,
  );
  await service.start(120_000);
  return service;
}

/** B's own output, for GET /files/…: one small image, processed before A starts. */
async function bFile(b: Client, imageBase: string): Promise<string> {
  const id = await b.upload([`${imageBase}/small.jpg?first`]);
  if (!(await b.waitForCompletion(id, Date.now() + 60_000)))
    throw new Error("B's first image did not complete");
  const images = (await (await b.call(`/requests/${id}/images`)).json()) as {
    images: Array<{ output_url: string | null }>;
  };
  return images.images[0].output_url!;
}

const peakRssMiB = (pid: number) => round((procStatus(pid)?.hwmKiB ?? NaN) / 1024, 1);

export async function noisyNeighbourPhase(options: NoisyOptions): Promise<NoisyNeighbourResult> {
  const imageServer = await startImageServer();
  const imageBase = imageServer.baseUrl;
  const dirs: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'pixelmill-noisy-'));
    dirs.push(dir);
    return dir;
  };
  try {
    // 1. noisy: A's AVIF + auto work while B is sampled
    const service = await startService(options.main, fresh());
    let noisy: NoisyNeighbourResult['noisy'];
    try {
      const a = new Client(service.baseUrl, ALICE);
      const b = new Client(service.baseUrl, BOB);
      const fileUrl = await bFile(b, imageBase);
      const urls = Array.from({ length: options.noisyImages }, (_, i) => `${imageBase}/noisy.jpg?a=${i}`);
      await a.upload(urls, { format: 'avif', quality: 'auto' });
      const started = Date.now();
      const stop = started + options.noisySeconds * 1000;
      log(
        `noisy neighbour: A's ${urls.length} AVIF/auto images queued; sampling B for ${options.noisySeconds} s`,
      );
      const bImage = b.upload([`${imageBase}/small.jpg?during`]).then(async (id) => {
        const uploaded = Date.now();
        return (await b.waitForCompletion(id, stop)) ? (Date.now() - uploaded) / 1000 : null;
      });
      const probes = await sample(b, imageBase, fileUrl, () => Date.now() > stop);
      noisy = {
        images: urls.length,
        seconds: options.noisySeconds,
        probes,
        bImageSeconds: await bImage.catch(() => null),
      };
    } finally {
      await service.kill();
    }

    // 2. flat: 100 MP PNGs, default output then quality=auto, each on a fresh service
    const flat: NoisyNeighbourResult['flat'] = [];
    const variants: Array<[string, Record<string, string>]> = [['default', {}]];
    if (options.flatAuto) variants.push(['quality=auto', { quality: 'auto' }]);
    for (const [variant, fields] of variants) {
      if (options.flatImages === 0) break;
      const flatService = await startService(options.main, fresh());
      try {
        const a = new Client(flatService.baseUrl, ALICE);
        const b = new Client(flatService.baseUrl, BOB);
        const fileUrl = await bFile(b, imageBase);
        const urls = Array.from({ length: options.flatImages }, (_, i) => `${imageBase}/flat.png?a=${i}`);
        const started = Date.now();
        const id = await a.upload(urls, fields);
        let finished = false;
        const completion = a.waitForCompletion(id, started + 900_000).then((done) => {
          finished = true;
          return done ? (Date.now() - started) / 1000 : null;
        });
        const probes = await sample(b, imageBase, fileUrl, () => finished);
        const seconds = await completion;
        const counts = await a.status(id);
        flat.push({
          variant,
          images: urls.length,
          seconds: seconds === null ? null : round(seconds, 1),
          done: counts.processed_images - counts.failed_images,
          failed: counts.failed_images,
          peakRssMiB: peakRssMiB(flatService.pid!),
          probes,
        });
        log(`flat PNGs (${variant}): ${JSON.stringify(flat.at(-1))}`);
      } finally {
        await flatService.kill();
      }
    }
    return { noisy, flat };
  } finally {
    await imageServer.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

export function printNoisyNeighbour(result: NoisyNeighbourResult): void {
  const line = (name: string, l: Latencies) =>
    `    ${name.padEnd(14)} p50 ${String(l.p50).padStart(8)} ms  p95 ${String(l.p95).padStart(8)} ms  max ${String(l.max).padStart(8)} ms  (${l.samples} samples, ${l.failed} failed or timed out)`;
  const probes = (p: Probes) =>
    [
      line('GET /files', p.files),
      line('small upload', p.upload),
      line('/health/ready', p.ready),
      line('GET /status', p.status),
    ].join('\n');
  console.log(
    `\nNoisy neighbour: A's ${result.noisy.images} noisy 12 MP JPEGs as AVIF, quality=auto; B sampled for ${result.noisy.seconds} s`,
  );
  console.log(probes(result.noisy.probes));
  console.log(
    `    B's one-image request completed in ${result.noisy.bImageSeconds === null ? `— (not within the ${result.noisy.seconds} s)` : `${round(result.noisy.bImageSeconds, 1)} s`}`,
  );
  for (const run of result.flat) {
    console.log(
      `\nFlat 100 MP PNGs (${run.variant}): ${run.images} in ${run.seconds ?? '— (not completed)'} s (${run.done} done, ${run.failed} failed), service peak RSS ${run.peakRssMiB} MiB`,
    );
    console.log(probes(run.probes));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const int = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const result = await noisyNeighbourPhase({
    main: resolve(process.argv[2] ?? BUILT_MAIN),
    noisyImages: int('BENCH_NOISY_IMAGES', 8),
    noisySeconds: int('BENCH_NOISY_SECONDS', 60),
    flatImages: int('BENCH_FLAT_IMAGES', 8),
    flatAuto: process.env.BENCH_FLAT_AUTO !== '0',
  });
  printNoisyNeighbour(result);
}
