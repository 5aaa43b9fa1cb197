import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The images table's (task_id, status, available_at) index becomes two partial indexes: the queued
 * images of a request, by due time (what a claim walks), and its failed images, by error code (what a
 * retry and the error-code summary read). An image leaving the queue no longer gets an entry in the
 * index it leaves: its claim and its outcome each change `status`, so neither update is a HOT one in
 * PostgreSQL, and each wrote a new entry in every index of the table; now a claim writes none in these
 * two, and a done image none either. The index also holds only what is waiting, not every image ever made.
 */
export class QueuedImagesIndex1764000000020 implements MigrationInterface {
  name = 'QueuedImagesIndex1764000000020';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE INDEX idx_images_task_queued ON images (task_id, available_at) WHERE status = 'queued'",
    );
    await queryRunner.query(
      "CREATE INDEX idx_images_task_failed ON images (task_id, error_code) WHERE status = 'failed'",
    );
    await queryRunner.query('DROP INDEX idx_images_task_status');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX idx_images_task_status ON images (task_id, status, available_at)');
    await queryRunner.query('DROP INDEX idx_images_task_failed');
    await queryRunner.query('DROP INDEX idx_images_task_queued');
  }
}
