import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { EntityManager } from 'typeorm';
import { execute } from '../src/database/sql.js';
import { startTasksModule, type TasksModule } from './helpers/tasks-module.js';

/** The one better-sqlite3 connection behind a manager. */
const connectionOf = (manager: EntityManager) =>
  (manager.connection.driver as unknown as { databaseConnection: Database }).databaseConnection;

const stagedCount = async (manager: EntityManager) =>
  (await execute<{ count: number }>(manager, 'SELECT COUNT(*) AS count FROM staged_tasks')).records[0].count;

/** UnitOfWork.read on the embedded SQLite file: reads take their turn with the transactions, and open none. */
describe('UnitOfWork.read (SQLite)', () => {
  let module: TasksModule;

  beforeAll(async () => {
    module = await startTasksModule();
  });
  afterAll(() => module?.close());

  it('runs its statements outside any transaction', async () => {
    const inTransaction = await module.unitOfWork.read(async ({ manager }) => {
      await stagedCount(manager);
      return connectionOf(manager).inTransaction;
    });
    expect(inTransaction).toBe(false);
  });

  it('waits for the transaction queued before it, so it never sees rows that are rolled back', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedRow = new Promise<void>((resolve) => (inserted = resolve));
    const failing = module.unitOfWork.run(async ({ manager }) => {
      await execute(manager, 'INSERT INTO staged_tasks (task_id, started_at) VALUES (?, ?)', [
        randomUUID(),
        Date.now(),
      ]);
      inserted();
      await held;
      throw new Error('rolled back');
    });
    await insertedRow;
    // Asked while the transaction is open with its row inserted: read in its turn, after the ROLLBACK.
    const seen = module.unitOfWork.read(({ manager }) => stagedCount(manager));
    release();
    await expect(failing).rejects.toThrow('rolled back');
    expect(await seen).toBe(0);
  });
});
