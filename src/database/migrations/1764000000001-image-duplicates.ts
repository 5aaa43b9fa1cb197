import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/** An input URL repeated within one request is processed once: its other occurrences point at the first. */
export class ImageDuplicates1764000000001 implements MigrationInterface {
  name = 'ImageDuplicates1764000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'images',
      new TableColumn({ name: 'duplicate_of', type: 'varchar', length: '36', isNullable: true }),
    );
    // Partial: only duplicates are indexed, so the planner prefers it over the status index (which
    // scanned every queued image of a 300,000-image request each time an image finished).
    await queryRunner.createIndex(
      'images',
      new TableIndex({
        name: 'idx_images_duplicate_of',
        columnNames: ['duplicate_of'],
        where: 'duplicate_of IS NOT NULL',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('images', 'idx_images_duplicate_of');
    await queryRunner.dropColumn('images', 'duplicate_of');
  }
}
