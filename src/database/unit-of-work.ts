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
    const result = this.tail.then(() => this.transact(work));
    this.tail = result.catch(() => undefined);
    return result;
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
