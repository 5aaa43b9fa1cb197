import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A done image of a request that asked for renditions lists them (spec, storage key, format, size,
 * bytes) as JSON; null for the others. The request's own list is in its output options.
 */
export class ImageRenditions1764000000016 implements MigrationInterface {
  name = 'ImageRenditions1764000000016';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A plain nullable ADD COLUMN: no table rewrite on SQLite or PostgreSQL.
    await queryRunner.query('ALTER TABLE images ADD COLUMN renditions text');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE images DROP COLUMN renditions');
  }
}
