import { expectWeightsTakenAtStart, WEIGHED_KEYS } from '../helpers/owner-weights.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { startTasksModule, type TasksModule } from '../helpers/tasks-module.js';

describe('owner weights on PostgreSQL', () => {
  let database: PostgresDatabase;
  let module: TasksModule;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    module = await startTasksModule({ ...WEIGHED_KEYS, DATABASE_URL: database.url });
  });
  afterAll(async () => {
    await module?.close();
    await database?.drop();
  });

  it('gives the owners’ rows the configured weights at start', () => expectWeightsTakenAtStart(module));
});
