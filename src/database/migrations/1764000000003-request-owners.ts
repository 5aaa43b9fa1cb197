import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * Requests belong to the API key that created them (`owner`: its name; '' while the service is open).
 * An Idempotency-Key is unique per owner, not across everybody; requests are listed per owner, newest first.
 */
export class RequestOwners1764000000003 implements MigrationInterface {
  name = 'RequestOwners1764000000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'tasks',
      new TableColumn({ name: 'owner', type: 'varchar', length: '64', default: "''", isNullable: false }),
    );
    const tasks = await queryRunner.getTable('tasks');
    const globalKey = tasks!.uniques.find((unique) => unique.columnNames.join() === 'idempotency_key');
    if (globalKey) await queryRunner.dropUniqueConstraint(tasks!, globalKey);
    await queryRunner.createIndex(
      'tasks',
      new TableIndex({
        name: 'idx_tasks_owner_idempotency_key',
        columnNames: ['owner', 'idempotency_key'],
        isUnique: true,
      }),
    );
    await queryRunner.createIndex(
      'tasks',
      new TableIndex({ name: 'idx_tasks_owner_created', columnNames: ['owner', 'created_at', 'id'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('tasks', 'idx_tasks_owner_created');
    await queryRunner.dropIndex('tasks', 'idx_tasks_owner_idempotency_key');
    await queryRunner.dropColumn('tasks', 'owner');
  }
}
