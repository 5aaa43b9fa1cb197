import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPEN_OWNER } from '../../src/access/owner.js';
import { loadConfig } from '../../src/config/app-config.js';
import { ConfigModule } from '../../src/config/config.module.js';
import { DatabaseModule } from '../../src/database/database.module.js';
import { UnitOfWork } from '../../src/database/unit-of-work.js';
import { QueueCounters } from '../../src/tasks/queue-counters.js';
import { Task } from '../../src/tasks/task.entity.js';
import { TasksService } from '../../src/tasks/tasks.service.js';

export interface TasksModule {
  tasks: TasksService;
  queueCounters: QueueCounters;
  dataSource: DataSource;
  unitOfWork: UnitOfWork;
  /** Creates an open request of `totalImages` images. */
  createTask(id: string, totalImages: number): Promise<void>;
  /** Counts one finished image of the request in its own transaction; the request if this call finished it, else null. */
  recordOne(id: string, failed: boolean): Promise<Task | null>;
  close(): Promise<void>;
}

/**
 * TasksService on a real database and nothing else: the SQLite file in a temporary DATA_DIR, or the
 * database `env.DATABASE_URL` names.
 */
export async function startTasksModule(env: Record<string, string> = {}): Promise<TasksModule> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-counter-'));
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(loadConfig({ DATA_DIR: dataDir, ...env })),
      DatabaseModule,
      TypeOrmModule.forFeature([Task]),
    ],
    providers: [TasksService, QueueCounters],
  }).compile();
  await moduleRef.init();
  const tasks = moduleRef.get(TasksService);
  const unitOfWork = moduleRef.get(UnitOfWork);
  return {
    tasks,
    queueCounters: moduleRef.get(QueueCounters),
    dataSource: moduleRef.get(DataSource),
    unitOfWork,
    createTask: (id, totalImages) =>
      unitOfWork.run((tx) =>
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
      ),
    recordOne: (id, failed) =>
      unitOfWork.run(async (tx) => {
        const [finished] = await tasks.recordImageOutcomes(
          tx,
          new Map([[id, { processed: 1, failed: failed ? 1 : 0 }]]),
        );
        return finished ?? null;
      }),
    async close() {
      await moduleRef.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
