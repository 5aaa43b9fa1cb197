import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { DomainEvent, type RequestCreatedEvent } from '../../events.js';

/** Uploads smaller than this never analyze: a plan made for a smaller table costs little on it. */
const MIN_ANALYZED_UPLOAD = 10_000;

/**
 * PostgreSQL: `ANALYZE images` after an upload that at least doubles the rows its statistics know of,
 * as PostgreSQL advises after a bulk load. The queue's statements are prepared once per connection, and
 * a plan made while the table was small (a new database) scans it whole; an ANALYZE makes every
 * session plan them again, at the table's size. Autovacuum would, but up to a minute later, while the
 * workers claim from the new backlog. Runs in the background, one at a time; a failure is logged, as
 * autovacuum still runs.
 */
@Injectable()
export class QueueStatistics {
  private readonly logger = new Logger(QueueStatistics.name);
  private analyzing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  @OnEvent(DomainEvent.RequestCreated)
  onRequestCreated({ totalImages }: RequestCreatedEvent): void {
    if (!this.config.database.isPostgres || totalImages < MIN_ANALYZED_UPLOAD) return;
    this.analyzing = this.analyzing.then(() =>
      this.analyzeIfOutgrown(totalImages).catch((error: Error) =>
        this.logger.warn(`analyzing images: ${error.message}`),
      ),
    );
  }

  private async analyzeIfOutgrown(added: number): Promise<void> {
    const [{ known }] = await this.dataSource.query<Array<{ known: number }>>(
      "SELECT GREATEST(reltuples, 0) AS known FROM pg_class WHERE oid = 'images'::regclass",
    );
    if (added < Number(known)) return;
    await this.dataSource.query('ANALYZE images');
  }
}
