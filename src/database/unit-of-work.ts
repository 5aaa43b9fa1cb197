import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** A running transaction: its manager, and work to run once it has committed. */
export interface Transaction {
  readonly manager: EntityManager;
  afterCommit(callback: () => void): void;
}

/**
 * Runs units of work in transactions. SQLite has one connection that TypeORM shares between
 * every caller, so there transactions are queued one after another instead of nesting by accident;
 * PostgreSQL gets one pooled connection per transaction.
 */
@Injectable()
export class UnitOfWork {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    if (this.dataSource.options.type !== 'better-sqlite3') return this.transact(work);
    return this.inTurn(() => this.transact(work));
  }

  /**
   * For work each of whose writes is one statement that keeps the data consistent alone (a PostgreSQL
   * claim: reads, then one statement that leases and counts): on PostgreSQL its statements run on one
   * connection without BEGIN and COMMIT, each committing on its own (two round trips fewer); on SQLite it
   * is `run`, a transaction (one connection, one transaction at a time).
   */
  runStatements<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    if (this.dataSource.options.type === 'better-sqlite3') return this.run(work);
    return this.withoutTransaction(work);
  }

  /**
   * For reads alone, each one statement: on SQLite they take their turn with the transactions (so they
   * never run inside one and see its uncommitted rows), each statement committing on its own, without
   * the BEGIN and COMMIT of a transaction (a worker's reads of earlier outputs, as a transaction each,
   * were 515 of the 811 transactions of 500 small images); on PostgreSQL it is `runStatements`.
   */
  read<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    if (this.dataSource.options.type !== 'better-sqlite3') return this.withoutTransaction(work);
    // TypeORM's one query runner of the one SQLite connection (the one its transactions run on too).
    const { manager } = this.dataSource.createQueryRunner();
    return this.inTurn(() => withoutCommit(manager, work));
  }

  /** SQLite: runs after the work queued before it, and before the work queued after it. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async withoutTransaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      return await withoutCommit(runner.manager, work);
    } finally {
      await runner.release();
    }
  }

  private async transact<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const callbacks: Array<() => void> = [];
    const result = await this.dataSource.transaction((manager) =>
      work({ manager, afterCommit: (callback) => callbacks.push(callback) }),
    );
    for (const callback of callbacks) callback();
    return result;
  }
}

/** Work whose statements each commit on their own: its afterCommit callbacks run once it is done. */
async function withoutCommit<T>(manager: EntityManager, work: (tx: Transaction) => Promise<T>): Promise<T> {
  const callbacks: Array<() => void> = [];
  const result = await work({ manager, afterCommit: (callback) => callbacks.push(callback) });
  for (const callback of callbacks) callback();
  return result;
}
