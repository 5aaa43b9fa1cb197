import { expectTaskReadAsTheQueryBuilderReadsIt } from './helpers/task-reads.js';
import { startTasksModule, type TasksModule } from './helpers/tasks-module.js';

describe('TasksService.getOrFail on SQLite', () => {
  let module: TasksModule;

  beforeAll(async () => {
    module = await startTasksModule();
  });
  afterAll(() => module?.close());

  it('hydrates a task as the query builder does, and finds only the owner’s', () =>
    expectTaskReadAsTheQueryBuilderReadsIt(module));
});
