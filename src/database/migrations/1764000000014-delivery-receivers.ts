import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { receiverOrigin } from '../../webhooks/receiver-origin.js';

/**
 * Each webhook delivery names its receiver (the URL's origin) and its request's owner, so the dispatcher can
 * limit the attempts in flight per receiver and per API key, and pick an owner's due deliveries from an
 * index of the pending ones alone, without stepping over other owners' rows.
 */
export class DeliveryReceivers1764000000014 implements MigrationInterface {
  name = 'DeliveryReceivers1764000000014';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('webhook_deliveries', [
      new TableColumn({ name: 'origin', type: 'text', default: "''", isNullable: false }),
      new TableColumn({ name: 'owner', type: 'varchar', length: '64', default: "''", isNullable: false }),
    ]);
    await queryRunner.query(
      `UPDATE webhook_deliveries SET owner = COALESCE((SELECT owner FROM tasks WHERE tasks.id = webhook_deliveries.task_id), '')`,
    );
    // One statement per distinct URL (clients reuse one webhook URL): the origin is parsed as the outbox
    // does, not by SQL string functions.
    const urls = (await queryRunner.query('SELECT DISTINCT url FROM webhook_deliveries')) as {
      url: string;
    }[];
    const param = queryRunner.connection.options.type === 'postgres' ? (n: number) => `$${n}` : () => '?';
    for (const { url } of urls) {
      await queryRunner.query(`UPDATE webhook_deliveries SET origin = ${param(1)} WHERE url = ${param(2)}`, [
        receiverOrigin(url),
        url,
      ]);
    }
    await queryRunner.createIndex('webhook_deliveries', PENDING_BY_OWNER);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('webhook_deliveries', PENDING_BY_OWNER);
    await queryRunner.dropColumn('webhook_deliveries', 'owner');
    await queryRunner.dropColumn('webhook_deliveries', 'origin');
  }
}

const PENDING_BY_OWNER = new TableIndex({
  name: 'idx_deliveries_pending_owner',
  columnNames: ['owner', 'next_attempt_at'],
  where: "status = 'pending'",
});
