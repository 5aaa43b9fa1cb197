/**
 * Tasks that each need an estimated amount of memory run while their sum stays within `capacity`; the
 * others wait their turn, first come first served (so a large task is never overtaken for ever by small
 * ones). A task larger than the whole capacity still runs: alone, once nothing else holds any.
 */
export class MemoryBudget {
  private used = 0;
  private readonly waiting: Array<{ charge: number; admit: () => void }> = [];

  constructor(readonly capacity: number) {}

  /** What the tasks running now hold, together. */
  get inUse(): number {
    return this.used;
  }

  /** Runs `task` once `cost` fits; the memory is held until the task's promise settles. */
  async run<T>(cost: number, task: () => Promise<T>): Promise<T> {
    const charge = Math.min(Math.max(0, cost), this.capacity);
    if (this.waiting.length > 0 || this.used + charge > this.capacity)
      await new Promise<void>((admit) => this.waiting.push({ charge, admit }));
    else this.used += charge;
    try {
      return await task();
    } finally {
      this.used -= charge;
      this.admitWaiting();
    }
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0].charge <= this.capacity) {
      const next = this.waiting.shift()!;
      this.used += next.charge;
      next.admit();
    }
  }
}
