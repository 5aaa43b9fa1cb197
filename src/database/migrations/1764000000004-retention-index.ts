import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/** The retention job's lookup: finished requests by completion time, oldest first. */
export class RetentionIndex1764000000004 implements MigrationInterface {
  name = 'RetentionIndex1764000000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'tasks',
      new TableIndex({ name: 'idx_tasks_status_completed', columnNames: ['status', 'completed_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('tasks', 'idx_tasks_status_completed');
  }
}
