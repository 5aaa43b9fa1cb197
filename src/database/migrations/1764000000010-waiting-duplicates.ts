import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * The duplicates that still wait for their original, and only those: when an image finishes, its
 * duplicates are updated a slice at a time (DuplicateImages.finish), and each slice finds the
 * next waiting ones directly, instead of stepping over those an earlier slice finished.
 */
export class WaitingDuplicates1764000000010 implements MigrationInterface {
  name = 'WaitingDuplicates1764000000010';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('images', WAITING_DUPLICATES);
    await queryRunner.dropIndex('images', 'idx_images_duplicate_of');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'images',
      new TableIndex({
        name: 'idx_images_duplicate_of',
        columnNames: ['duplicate_of'],
        where: 'duplicate_of IS NOT NULL',
      }),
    );
    await queryRunner.dropIndex('images', WAITING_DUPLICATES);
  }
}

const WAITING_DUPLICATES = new TableIndex({
  name: 'idx_images_waiting_duplicates',
  columnNames: ['duplicate_of'],
  where: "duplicate_of IS NOT NULL AND status = 'queued'",
});
