import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Previews are made on their first request, under a key that follows from the image id
 * (`thumbs/<2 chars>/<id>.webp`, where the previews made while processing were stored too): the
 * per-image column that named them goes. (SQLite drops a column in place since 3.35.)
 */
export class PreviewsOnDemand1764000000011 implements MigrationInterface {
  name = 'PreviewsOnDemand1764000000011';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE images DROP COLUMN thumbnail_key');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE images ADD COLUMN thumbnail_key text');
    await queryRunner.query(
      `UPDATE images SET thumbnail_key = 'thumbs/' || substr(id, 1, 2) || '/' || id || '.webp' WHERE status = 'done' AND duplicate_of IS NULL`,
    );
  }
}
