import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * `staged_tasks`: the requests whose rows an upload is writing in slices (SQLite) and whose task row
 * is not written yet. A row here after a restart names an upload its process did not finish: its
 * products and images are removed at start.
 */
export class StagedTasks1764000000005 implements MigrationInterface {
  name = 'StagedTasks1764000000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'staged_tasks',
        columns: [
          { name: 'task_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'started_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('staged_tasks');
  }
}
