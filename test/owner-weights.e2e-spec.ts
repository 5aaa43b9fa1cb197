import { expectWeightsTakenAtStart, WEIGHED_KEYS } from './helpers/owner-weights.js';
import { startTasksModule, type TasksModule } from './helpers/tasks-module.js';

describe('owner weights on SQLite', () => {
  let module: TasksModule;

  beforeAll(async () => {
    module = await startTasksModule(WEIGHED_KEYS);
  });
  afterAll(() => module?.close());

  it('gives the owners’ rows the configured weights at start', () => expectWeightsTakenAtStart(module));
});
