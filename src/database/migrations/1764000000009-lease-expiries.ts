import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How many times an image's lease ran out while it was processing (its worker died): an image that kills
 * every worker that takes it fails after MAX_LEASE_EXPIRIES instead of coming back forever. A column of
 * its own, because `attempts` counts download tries and is given back when storage was down.
 */
export class LeaseExpiries1764000000009 implements MigrationInterface {
  name = 'LeaseExpiries1764000000009';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A plain ADD COLUMN with a constant default: no table rewrite on SQLite or PostgreSQL.
    await queryRunner.query('ALTER TABLE images ADD COLUMN lease_expiries integer NOT NULL DEFAULT 0');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE images DROP COLUMN lease_expiries');
  }
}
