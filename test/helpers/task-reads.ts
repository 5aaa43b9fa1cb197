import { randomUUID } from 'node:crypto';
import { OPEN_OWNER } from '../../src/access/owner.js';
import { RequestNotFoundError } from '../../src/tasks/request-not-found.error.js';
import { Task } from '../../src/tasks/task.entity.js';
import type { TasksModule } from './tasks-module.js';

/**
 * TasksService.getOrFail reads a task by its own statement (findOneWhere): it must hydrate what the query
 * builder hydrates. A finished task with every kind of column (JSON, bytes past 2^32, a completion
 * time, nulls), read both ways, must be the same Task; another owner's is not found.
 */
export async function expectTaskReadAsTheQueryBuilderReadsIt(module: TasksModule): Promise<void> {
  const id = randomUUID();
  await module.createTask(id, 1);
  await module.unitOfWork.run((tx) =>
    module.tasks.recordImageOutcomes(
      tx,
      new Map([[id, { processed: 1, failed: 0, inputBytes: 5_000_000_000, outputBytes: 7, reused: 1 }]]),
    ),
  );
  const read = await module.tasks.getOrFail(id, OPEN_OWNER);
  const built = await module.dataSource.getRepository(Task).findOneByOrFail({ id });
  expect(read).toBeInstanceOf(Task);
  expect(read).toEqual(built);
  expect(read).toMatchObject({
    status: 'completed',
    inputBytes: 5_000_000_000,
    csvHeaders: ['a'],
    outputOptions: { format: 'jpeg', quality: 50 },
    webhookUrl: null,
  });
  expect(typeof read.completedAt).toBe('number');
  await expect(module.tasks.getOrFail(id, 'someone-else')).rejects.toBeInstanceOf(RequestNotFoundError);
}

/**
 * QueueCounters.statesOf answers for the ids it is given (any number of them, known or not) with one
 * statement text: a text per list length would fill the SQLite connection's statement cache.
 */
export async function expectQueueStatesOfAnyList(module: TasksModule): Promise<void> {
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  const outputOptions = { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null } as const;
  for (const [index, id] of ids.entries()) await module.createTask(id, index + 1);
  await module.unitOfWork.run(async (tx) => {
    for (const [index, id] of ids.entries())
      await module.queueCounters.queued(
        tx,
        { id, queueOwner: OPEN_OWNER, createdAt: Date.now(), outputOptions },
        index + 1,
      );
  });
  const unknown = Array.from({ length: 300 }, () => randomUUID());
  for (let length = 1; length <= unknown.length; length++)
    expect((await module.queueCounters.statesOf(unknown.slice(0, length))).size).toBe(0);
  const states = await module.queueCounters.statesOf([...unknown, ...ids]);
  expect(states).toEqual(
    new Map(ids.map((id, index) => [id, { queuedImages: index + 1, inFlightImages: 0 }])),
  );
}
