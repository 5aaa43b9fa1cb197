/**
 * The I/O floor, a child process of the ceiling phase (bench/ceiling-phase.ts): the least a service
 * must do around raw sharp, written by hand. Each image is downloaded from the bench's image server
 * over a keep-alive connection, made by raw sharp (decode → autoOrient() → the default output), and
 * written to a file. There is no database, queue, admission, reuse or metric. Its throughput, set
 * against the ceiling, is the share that downloads and files alone leave. The service's own machinery
 * (what the end-to-end ratio loses beyond it) is the rest.
 *
 * Reads FLOOR_URL (a fixture's URL; each image gets a query string of its own), FLOOR_SECONDS,
 * FLOOR_SLOTS (images in flight, as CONCURRENCY), FLOOR_THREADS (sharp jobs at once, as IMAGE_THREADS),
 * FLOOR_FORMAT, FLOOR_QUALITY and FLOOR_DIR (where the files go; the bench removes it when it exits).
 * Prints one line, `floor {…}`: images, seconds, and this process's CPU and main-thread CPU in ms while
 * measuring, and its CPU since it started.
 */
import { writeFile } from 'node:fs/promises';
import { Agent, get } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ConcurrencyLimit } from '../src/common/concurrency-limit.js';
import type { OutputFormat } from '../src/config/output-options.js';
import { configureSharp } from '../src/images/sharp-settings.js';
import { rawSharp } from './ceiling-phase.js';
import { mainThreadCpuMs } from './measure.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

configureSharp();
const url = env('FLOOR_URL');
const seconds = Number(env('FLOOR_SECONDS'));
const slots = Number(env('FLOOR_SLOTS'));
const threads = new ConcurrencyLimit(Number(env('FLOOR_THREADS')));
const format = env('FLOOR_FORMAT') as OutputFormat;
const quality = env('FLOOR_QUALITY');
// The ceiling's own encode: the floor differs from it by the download and the file alone.
const encode = rawSharp({ format, quality: quality === 'auto' ? quality : Number(quality) });
const agent = new Agent({ keepAlive: true });
const dir = env('FLOOR_DIR');

function download(n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(`${url}?floor=${n}`, { agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(Buffer.concat(chunks)));
      response.on('error', reject);
    }).on('error', reject);
  });
}

let next = 0;
async function image(): Promise<void> {
  const n = next++;
  const input = await download(n);
  const output = await threads.run(() => encode(input));
  await writeFile(join(dir, `${n}.${format}`), output as Buffer);
}

try {
  // Warm the JIT and libvips, and open a connection per slot.
  for (let round = 0; round < 3; round++) await Promise.all(Array.from({ length: slots }, image));
  let images = 0;
  const cpu = process.cpuUsage();
  const mainThread = mainThreadCpuMs(process.pid) ?? NaN;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: slots }, async () => {
      while (performance.now() < deadline) {
        await image();
        images++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const lifetime = process.cpuUsage();
  const result = {
    images,
    seconds: (performance.now() - start) / 1000,
    cpuMs: (used.user + used.system) / 1000,
    mainThreadCpuMs: (mainThreadCpuMs(process.pid) ?? NaN) - mainThread,
    lifetimeCpuMs: (lifetime.user + lifetime.system) / 1000,
  };
  process.stdout.write(`floor ${JSON.stringify(result)}\n`);
} finally {
  agent.destroy();
}
