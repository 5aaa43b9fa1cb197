import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/** An input URL repeated within one request is processed once: its other occurrences point at the first. */
export class ImageDuplicates1764000000001 implements MigrationInterface {
  name = 'ImageDuplicates1764000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('images', new TableColumn({ name: 'duplicate_of', type: 'varchar', length: '36', isNullable: true }));
    await queryRunner.createIndex('images', new TableIndex({ name: 'idx_images_duplicate_of', columnNames: ['duplicate_of'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('images', 'idx_images_duplicate_of');
    await queryRunner.dropColumn('images', 'duplicate_of');
  }
}
