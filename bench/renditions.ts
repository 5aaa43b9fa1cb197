/**
 * `npx tsx bench/renditions.ts [rounds]`: the CPU time (process.cpuUsage, every thread of the process)
 * of the 6 MP photo fixture written as the renditions `1600w,800w,400w` (one decode, three encodes:
 * RenditionPipeline) against its one default output (full-size JPEG q50: ImagePipeline), each made
 * `rounds` times (default 10) after one unmeasured round; sharp set as the service sets it. Prints
 * both figures per image and their ratio (the target: at most 1.5).
 */
import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../src/config/app-config.js';
import type { Rendition } from '../src/config/output-presets.js';
import { ImagePipeline } from '../src/images/image-pipeline.js';
import { RenditionPipeline } from '../src/images/renditions/rendition-pipeline.js';
import { configureSharp } from '../src/images/sharp-settings.js';

const PHOTO = join(import.meta.dirname, '../test/fixtures/images/photo-2725x2225.jpg');
const rounds = Number(process.argv[2] ?? 10);

const config = loadConfig({ DATA_DIR: '/tmp/pixelmill-bench-unused' });
configureSharp();
const source = await readFile(PHOTO);
const single = new ImagePipeline(config);
const renditions = new RenditionPipeline(config);
const widths: Rendition[] = [1600, 800, 400].map((width) => ({
  spec: `${width}w`,
  ...config.output.defaults,
  width,
  height: null,
  fit: 'inside',
}));

/** CPU milliseconds per run of `work`, over `rounds` runs after one unmeasured run. */
async function cpuMsPerRun(work: () => Promise<unknown>): Promise<number> {
  await work();
  const start = process.cpuUsage();
  for (let round = 0; round < rounds; round++) await work();
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000 / rounds;
}

const singleMs = await cpuMsPerRun(() => single.encode(source, config.output.defaults));
const renditionsMs = await cpuMsPerRun(() => renditions.encode(source, widths, async () => undefined));
const ratio = renditionsMs / singleMs;
process.stdout.write(
  `${[
    `6 MP photo, CPU per image over ${rounds} rounds:`,
    `  one default output (full-size JPEG q${String(config.output.defaults.quality)}): ${singleMs.toFixed(1)} ms`,
    `  renditions 1600w,800w,400w:                 ${renditionsMs.toFixed(1)} ms`,
    `  ratio: ${ratio.toFixed(2)}× (target ≤ 1.5×)`,
  ].join('\n')}\n`,
);
