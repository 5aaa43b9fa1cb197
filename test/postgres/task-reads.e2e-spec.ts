import { PostgresDatabase } from '../helpers/postgres-database.js';
import { expectQueueStatesOfAnyList, expectTaskReadAsTheQueryBuilderReadsIt } from '../helpers/task-reads.js';
import { startTasksModule, type TasksModule } from '../helpers/tasks-module.js';

describe('request reads on PostgreSQL', () => {
  let database: PostgresDatabase;
  let module: TasksModule;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    module = await startTasksModule({ DATABASE_URL: database.url });
  });
  afterAll(async () => {
    await module?.close();
    await database?.drop();
  });

  it('hydrates a task as the query builder does, and finds only the owner’s', () =>
    expectTaskReadAsTheQueryBuilderReadsIt(module));

  it('reads the queue states of any number of requests', () => expectQueueStatesOfAnyList(module));
});
