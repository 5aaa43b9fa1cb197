import type { Database } from 'better-sqlite3';
import { expectQueueStatesOfAnyList, expectTaskReadAsTheQueryBuilderReadsIt } from './helpers/task-reads.js';
import { startTasksModule, type TasksModule } from './helpers/tasks-module.js';

describe('request reads on SQLite', () => {
  let module: TasksModule;

  beforeAll(async () => {
    module = await startTasksModule();
  });
  afterAll(() => module?.close());

  it('hydrates a task as the query builder does, and finds only the owner’s', () =>
    expectTaskReadAsTheQueryBuilderReadsIt(module));

  it('reads the queue states of any number of requests with one prepared statement', async () => {
    const connection = (module.dataSource.driver as unknown as { databaseConnection: Database })
      .databaseConnection;
    const prepare = vi.spyOn(connection, 'prepare');
    await expectQueueStatesOfAnyList(module);
    const statesStatements = prepare.mock.calls.filter(([sql]) => sql.includes('FROM queue_tasks WHERE'));
    expect(statesStatements).toHaveLength(1);
  });
});
