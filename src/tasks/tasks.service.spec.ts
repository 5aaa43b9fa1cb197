import { OPEN_OWNER } from '../access/owner.js';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig, loadConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { Task } from './task.entity.js';
import { TasksService } from './tasks.service.js';

describe('TasksService completion counter (real SQLite file)', () => {
  let dataDir: string;
  let tasks: TasksService;
  let unitOfWork: UnitOfWork;
  let close: () => Promise<void>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-counter-'));
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule, DatabaseModule, TypeOrmModule.forFeature([Task])],
      providers: [TasksService],
    })
      .overrideProvider(AppConfig)
      .useValue(loadConfig({ DATA_DIR: dataDir }))
      .compile();
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

  it('detects completion exactly once when every image finishes at the same moment', async () => {
    const id = '11111111-1111-4111-8111-111111111111';
    await createTask(id, 40);
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        unitOfWork.run((tx) =>
          tasks.recordImageOutcome(tx, id, { processed: 1, failed: index % 4 === 0 ? 1 : 0 }),
        ),
      ),
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
    for (const failed of failures)
      results.push(
        await unitOfWork.run((tx) =>
          tasks.recordImageOutcome(tx, id, { processed: 1, failed: failed ? 1 : 0 }),
        ),
      );
    expect(results[0]).toBeNull();
    expect(results[1]?.status).toBe(status);
  });

  it('reopens a finished request for a retry of its failed images', async () => {
    const id = '33333333-3333-4333-8333-333333333333';
    await createTask(id, 2);
    await unitOfWork.run((tx) => tasks.recordImageOutcome(tx, id, { processed: 1, failed: 1 }));
    await unitOfWork.run((tx) => tasks.recordImageOutcome(tx, id, { processed: 1, failed: 0 }));
    await unitOfWork.run((tx) => tasks.reopen(tx, id, 1));
    expect(await tasks.getOrFail(id, OPEN_OWNER)).toMatchObject({
      status: 'processing',
      processedImages: 1,
      failedImages: 0,
      completedAt: null,
    });
    const finished = await unitOfWork.run((tx) =>
      tasks.recordImageOutcome(tx, id, { processed: 1, failed: 0 }),
    );
    expect(finished?.status).toBe('completed');
  });
});
