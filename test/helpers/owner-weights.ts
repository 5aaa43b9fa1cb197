import { randomUUID } from 'node:crypto';
import { execute, selectRows } from '../../src/database/sql.js';
import type { TasksModule } from './tasks-module.js';

/** Two API keys; `heavy` weighs 3. Start the module with these for `expectWeightsTakenAtStart`. */
export const WEIGHED_KEYS = {
  API_KEYS: ['light', 'heavy'].map((name, index) => `${name}:${String(index).repeat(24)}`).join(','),
  API_KEY_WEIGHTS: 'heavy=3',
};

/**
 * An owner's row keeps the weight it was queued with; at start (onApplicationBootstrap) it takes this
 * configuration's. The row is set back to 1, as a process with another API_KEY_WEIGHTS would have left it.
 */
export async function expectWeightsTakenAtStart(module: TasksModule): Promise<void> {
  const id = randomUUID();
  const outputOptions = { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null } as const;
  await module.createTask(id, 1);
  await module.unitOfWork.run(async (tx) => {
    await module.queueCounters.queued(
      tx,
      { id, queueOwner: 'heavy', createdAt: Date.now(), outputOptions },
      1,
    );
    await execute(tx.manager, 'UPDATE queue_owners SET weight = 1');
  });
  const weights = () =>
    selectRows<{ owner: string; weight: number }>(
      module.dataSource.manager,
      'SELECT owner, weight FROM queue_owners ORDER BY owner',
    );
  expect(await weights()).toEqual([{ owner: 'heavy', weight: 1 }]);
  await module.queueCounters.onApplicationBootstrap();
  expect(await weights()).toEqual([{ owner: 'heavy', weight: 3 }]);
}
