import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { type AppConfig, loadConfig } from '../../config/app-config.js';
import { UnitOfWork } from '../../database/unit-of-work.js';
import { standaloneDataSourceOptions } from '../../standalone-data-source.js';
import type { ClaimedImage } from '../queue/image-queue.js';
import { SourceMemory } from './source-memory.js';
import { SourceReuse } from './source-reuse.js';

describe('SourceReuse.prepare: the reuse plans of a claim, read together', () => {
  let dataDir: string;
  let config: AppConfig;
  let dataSource: DataSource;
  let unitOfWork: UnitOfWork;
  let reuse: SourceReuse;

  const image = (id: string): ClaimedImage => ({
    id,
    taskId: 'task',
    inputUrl: `http://127.0.0.1/${id}.jpg`,
    attempts: 1,
    leaseExpiries: 0,
    owner: '',
    queueOwner: 'owner',
    cost: 1,
    outputOptions: config.output.defaults,
  });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-reuse-'));
    config = loadConfig({ DATA_DIR: dataDir });
    dataSource = await new DataSource(standaloneDataSourceOptions(config)).initialize();
    unitOfWork = new UnitOfWork(dataSource);
    reuse = new SourceReuse(new SourceMemory(unitOfWork, config), config);
  });

  afterEach(async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads the earlier imports of every image of a claim in one go; each image takes its own plan once', async () => {
    const reads = vi.spyOn(unitOfWork, 'read');
    const images = ['a', 'b', 'c'].map(image);
    reuse.prepare(images);
    const plans = [];
    for (const claimed of images) plans.push(await reuse.plan(claimed, false)); // one by one, as slots free up
    expect(reads).toHaveBeenCalledTimes(1);
    expect(plans.map((plan) => [plan.reusing, plan.recalled])).toEqual(images.map(() => [true, undefined]));
    // Taken: a second plan (the image claimed again) reads again; a fresh one reads nothing.
    await reuse.plan(images[0], false);
    expect(reads).toHaveBeenCalledTimes(2);
    reuse.prepare([images[1]]);
    expect(await reuse.plan(images[1], true)).toMatchObject({ reusing: false, recalled: undefined });
  });

  it('reads again for an image whose read failed at claim time, and leaves no rejection unhandled', async () => {
    const reads = vi.spyOn(unitOfWork, 'read');
    reads.mockRejectedValueOnce(new Error('database away'));
    reuse.prepare([image('a')]);
    await new Promise((turn) => setImmediate(turn));
    await new Promise((turn) => setImmediate(turn));
    expect(reads).toHaveBeenCalledTimes(1);
    expect(await reuse.plan(image('a'), false)).toMatchObject({ reusing: true, recalled: undefined });
    expect(reads).toHaveBeenCalledTimes(2);
  });
});
