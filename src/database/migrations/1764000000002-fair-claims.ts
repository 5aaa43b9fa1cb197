import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * Indexes for fair claims: the requests still processing, oldest first, and per request its due queued
 * images (and the count of those in flight) without touching other requests' rows.
 */
export class FairClaims1764000000002 implements MigrationInterface {
  name = 'FairClaims1764000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'images',
      new TableIndex({ name: 'idx_images_task_status', columnNames: ['task_id', 'status', 'available_at'] }),
    );
    await queryRunner.createIndex(
      'tasks',
      new TableIndex({ name: 'idx_tasks_status_created', columnNames: ['status', 'created_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('tasks', 'idx_tasks_status_created');
    await queryRunner.dropIndex('images', 'idx_images_task_status');
  }
}
