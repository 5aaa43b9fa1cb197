import { OPEN_OWNER } from '../access/owner.js';
import { startTasksModule, type TasksModule } from '../../test/helpers/tasks-module.js';

/** Completion under truly concurrent transactions runs on PostgreSQL: test/postgres/completion-once.e2e-spec.ts. */
describe('TasksService completion counter (real SQLite file)', () => {
  let service: TasksModule;

  beforeAll(async () => {
    service = await startTasksModule();
  });

  afterAll(() => service.close());

  it.each([
    [[false, false], 'completed'],
    [[true, false], 'completed_with_errors'],
    [[true, true], 'failed'],
  ] as const)('derives the final status from the outcomes %j: %s', async (failures, status) => {
    const id = `22222222-2222-4222-8222-${String(failures.filter(Boolean).length).padStart(12, '0')}`;
    await service.createTask(id, failures.length);
    const results = [];
    for (const failed of failures) results.push(await service.recordOne(id, failed));
    expect(results[0]).toBeNull();
    expect(results[1]?.status).toBe(status);
  });

  it('counts a batch of several requests in one call, each finished one returned once', async () => {
    const [a, b] = ['44444444-4444-4444-8444-444444444444', '55555555-5555-4555-8555-555555555555'];
    await service.createTask(a, 2);
    await service.createTask(b, 3);
    const finished = await service.unitOfWork.run((tx) =>
      service.tasks.recordImageOutcomes(
        tx,
        new Map([
          [b, { processed: 2, failed: 0, inputBytes: 5_000_000_000, outputBytes: 7 }],
          [a, { processed: 2, failed: 1, inputBytes: 3, outputBytes: 1 }],
        ]),
      ),
    );
    expect(finished.map((task) => [task.id, task.status])).toEqual([[a, 'completed_with_errors']]);
    // Beyond 32 bits: a URL repeated thousands of times counts its bytes as often.
    expect(await service.tasks.getOrFail(b, OPEN_OWNER)).toMatchObject({
      processedImages: 2,
      inputBytes: 5_000_000_000,
    });
  });

  it('reopens a finished request for a retry of its failed images', async () => {
    const id = '33333333-3333-4333-8333-333333333333';
    await service.createTask(id, 2);
    await service.recordOne(id, true);
    await service.recordOne(id, false);
    await service.unitOfWork.run((tx) => service.tasks.reopen(tx, id, 1));
    expect(await service.tasks.getOrFail(id, OPEN_OWNER)).toMatchObject({
      status: 'processing',
      processedImages: 1,
      failedImages: 0,
      completedAt: null,
    });
    expect((await service.recordOne(id, false))?.status).toBe('completed');
  });
});
