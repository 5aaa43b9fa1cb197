import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** Tasks, products, images and the webhook outbox, written with TypeORM's schema builder so it runs on SQLite and PostgreSQL alike. */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'tasks',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'status', type: 'varchar', length: '32' },
          { name: 'total_images', type: 'integer' },
          { name: 'processed_images', type: 'integer', default: 0 },
          { name: 'failed_images', type: 'integer', default: 0 },
          { name: 'webhook_url', type: 'text', isNullable: true },
          { name: 'csv_headers', type: 'text' },
          { name: 'idempotency_key', type: 'varchar', length: '255', isNullable: true, isUnique: true },
          { name: 'content_hash', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'completed_at', type: 'bigint', isNullable: true },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'products',
        columns: [
          { name: 'task_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'row_number', type: 'integer', isPrimary: true },
          { name: 'serial_number', type: 'text' },
          { name: 'product_name', type: 'text' },
          { name: 'cells', type: 'text' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'images',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'task_id', type: 'varchar', length: '36' },
          { name: 'row_number', type: 'integer' },
          { name: 'position', type: 'integer' },
          { name: 'input_url', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'available_at', type: 'bigint' },
          { name: 'lease_until', type: 'bigint', isNullable: true },
          { name: 'error_code', type: 'varchar', length: '64', isNullable: true },
          { name: 'error_message', type: 'text', isNullable: true },
          { name: 'output_key', type: 'text', isNullable: true },
          { name: 'input_bytes', type: 'integer', isNullable: true },
          { name: 'output_bytes', type: 'integer', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'idx_images_task_row', columnNames: ['task_id', 'row_number', 'position'] }),
          new TableIndex({ name: 'idx_images_claim', columnNames: ['status', 'available_at'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'task_id', type: 'varchar', length: '36' },
          { name: 'url', type: 'text' },
          { name: 'payload', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'next_attempt_at', type: 'bigint', isNullable: true },
          { name: 'last_status', type: 'integer', isNullable: true },
          { name: 'last_error', type: 'text', isNullable: true },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [
          new TableIndex({ name: 'idx_deliveries_due', columnNames: ['status', 'next_attempt_at'] }),
          new TableIndex({ name: 'idx_deliveries_task', columnNames: ['task_id'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['webhook_deliveries', 'images', 'products', 'tasks']) {
      await queryRunner.dropTable(table);
    }
  }
}
