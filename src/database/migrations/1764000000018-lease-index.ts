import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The images table loses its (status, available_at) index, which every stored image paid for (one of
 * five indexes written per row of an upload, and two writes more per claim and per outcome): claims
 * walk a request's images by (task_id, status, available_at), the queue's depth is read from the queue
 * summary, and the one lookup that was left, images whose lease ran out, has a partial index of the
 * images in flight only (a few dozen rows, whatever the backlog).
 */
export class LeaseIndex1764000000018 implements MigrationInterface {
  name = 'LeaseIndex1764000000018';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE INDEX idx_images_leases ON images (lease_until) WHERE status = 'processing'",
    );
    await queryRunner.query('DROP INDEX idx_images_claim');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX idx_images_claim ON images (status, available_at)');
    await queryRunner.query('DROP INDEX idx_images_leases');
  }
}
