import { OPEN_OWNER } from '../../src/access/owner.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { startTasksModule, type TasksModule } from '../helpers/tasks-module.js';

/**
 * PostgreSQL runs the image outcomes' transactions side by side on its pool (SQLite queues them, so there a
 * counter read before its update would pass too): completion is detected exactly once only if counting
 * and finishing are one atomic step.
 */
describe('TasksService completion counter under concurrent transactions on PostgreSQL', () => {
  let database: PostgresDatabase;
  let service: TasksModule;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    service = await startTasksModule({ DATABASE_URL: database.url, CONCURRENCY: '8' });
  });

  afterAll(async () => {
    await service?.close();
    await database?.drop();
  });

  it('detects completion exactly once when every image finishes at the same moment', async () => {
    const id = '11111111-1111-4111-8111-111111111111';
    await service.createTask(id, 40);
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, index) => service.recordOne(id, index % 4 === 0)),
    );
    const completions = outcomes.filter((task) => task !== null);
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({
      status: 'completed_with_errors',
      processedImages: 40,
      failedImages: 10,
    });
    expect(await service.tasks.getOrFail(id, OPEN_OWNER)).toMatchObject({
      processedImages: 40,
      failedImages: 10,
      completedAt: expect.any(Number),
    });
  });
});
