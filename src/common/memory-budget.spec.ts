import { MemoryBudget } from './memory-budget.js';

/** A task that runs until released, recording that it started. */
function held(started: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { task: () => (started.push(name), done), release };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('MemoryBudget', () => {
  it('runs tasks together while their costs fit, and the next one when memory is given back', async () => {
    const budget = new MemoryBudget(100);
    const started: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => held(started, name));
    const runs = [budget.run(60, a.task), budget.run(40, b.task), budget.run(30, c.task)];
    await settle();
    expect(started).toEqual(['a', 'b']);
    expect(budget.inUse).toBe(100);
    a.release();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    b.release();
    c.release();
    await Promise.all(runs);
    expect(budget.inUse).toBe(0);
  });

  it('runs a task larger than the whole budget alone, once the others are done', async () => {
    const budget = new MemoryBudget(100);
    const started: string[] = [];
    const small = held(started, 'small');
    const huge = held(started, 'huge');
    const after = held(started, 'after');
    const runs = [budget.run(10, small.task), budget.run(500, huge.task), budget.run(10, after.task)];
    await settle();
    expect(started).toEqual(['small']); // first come first served: 'after' waits behind 'huge'
    small.release();
    await settle();
    expect(started).toEqual(['small', 'huge']);
    expect(budget.inUse).toBe(100);
    huge.release();
    await settle();
    expect(started).toEqual(['small', 'huge', 'after']);
    after.release();
    await Promise.all(runs);
  });

  it('gives the memory back when a task fails', async () => {
    const budget = new MemoryBudget(100);
    await expect(budget.run(80, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(budget.inUse).toBe(0);
    await expect(budget.run(80, async () => 'ran')).resolves.toBe('ran');
  });
});
