import { OPEN_OWNER } from '../access/owner.js';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { Task } from './task.entity.js';
import { QueueCounters } from './queue-counters.js';
import { TasksService } from './tasks.service.js';

describe('TasksService completion counter (real SQLite file)', () => {
  let dataDir: string;
  let tasks: TasksService;
  let unitOfWork: UnitOfWork;
  let close: () => Promise<void>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-counter-'));
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(loadConfig({ DATA_DIR: dataDir })),
        DatabaseModule,
        TypeOrmModule.forFeature([Task]),
      ],
      providers: [TasksService, QueueCounters],
    }).compile();
    await moduleRef.init();
    tasks = moduleRef.get(TasksService);
    unitOfWork = moduleRef.get(UnitOfWork);
    close = () => moduleRef.close();
  });

  afterAll(async () => {
    await close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function createTask(id: string, totalImages: number) {
    await unitOfWork.run((tx) =>
      tasks.create(tx, {
        owner: OPEN_OWNER,
        id,
        totalImages,
        webhookUrl: null,
        csvHeaders: ['a'],
        idempotencyKey: null,
        contentHash: 'x',
        outputOptions: { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null },
      }),
    );
  }

  /** Counts one finished image of the request; the request if this call finished it, else null. */
  const recordOne = (id: string, failed: boolean) =>
    unitOfWork.run(async (tx) => {
      const [finished] = await tasks.recordImageOutcomes(
        tx,
        new Map([[id, { processed: 1, failed: failed ? 1 : 0 }]]),
      );
      return finished ?? null;
    });

  it('detects completion exactly once when every image finishes at the same moment', async () => {
    const id = '11111111-1111-4111-8111-111111111111';
    await createTask(id, 40);
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, index) => recordOne(id, index % 4 === 0)),
    );
    const completions = outcomes.filter((task) => task !== null);
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({
      status: 'completed_with_errors',
      processedImages: 40,
      failedImages: 10,
    });
    expect(await tasks.getOrFail(id, OPEN_OWNER)).toMatchObject({
      processedImages: 40,
      failedImages: 10,
      completedAt: expect.any(Number),
    });
  });

  it.each([
    [[false, false], 'completed'],
    [[true, false], 'completed_with_errors'],
    [[true, true], 'failed'],
  ] as const)('derives the final status from the outcomes %j: %s', async (failures, status) => {
    const id = `22222222-2222-4222-8222-${String(failures.filter(Boolean).length).padStart(12, '0')}`;
    await createTask(id, failures.length);
    const results = [];
    for (const failed of failures) results.push(await recordOne(id, failed));
    expect(results[0]).toBeNull();
    expect(results[1]?.status).toBe(status);
  });

  it('counts a batch of several requests in one call, each finished one returned once', async () => {
    const [a, b] = ['44444444-4444-4444-8444-444444444444', '55555555-5555-4555-8555-555555555555'];
    await createTask(a, 2);
    await createTask(b, 3);
    const finished = await unitOfWork.run((tx) =>
      tasks.recordImageOutcomes(
        tx,
        new Map([
          [b, { processed: 2, failed: 0, inputBytes: 5_000_000_000, outputBytes: 7 }],
          [a, { processed: 2, failed: 1, inputBytes: 3, outputBytes: 1 }],
        ]),
      ),
    );
    expect(finished.map((task) => [task.id, task.status])).toEqual([[a, 'completed_with_errors']]);
    // Beyond 32 bits: a URL repeated thousands of times counts its bytes as often.
    expect(await tasks.getOrFail(b, OPEN_OWNER)).toMatchObject({
      processedImages: 2,
      inputBytes: 5_000_000_000,
    });
  });

  it('reopens a finished request for a retry of its failed images', async () => {
    const id = '33333333-3333-4333-8333-333333333333';
    await createTask(id, 2);
    await recordOne(id, true);
    await recordOne(id, false);
    await unitOfWork.run((tx) => tasks.reopen(tx, id, 1));
    expect(await tasks.getOrFail(id, OPEN_OWNER)).toMatchObject({
      status: 'processing',
      processedImages: 1,
      failedImages: 0,
      completedAt: null,
    });
    expect((await recordOne(id, false))?.status).toBe('completed');
  });
});
