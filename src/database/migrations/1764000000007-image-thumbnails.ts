import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * What the dashboard shows: each done image's WebP preview, stored beside its output (images done before
 * previews existed have none), and each request's bytes in and out over its done images, kept as counters
 * so a list of requests never sums their images (counted from the images already done).
 */
export class ImageThumbnails1764000000007 implements MigrationInterface {
  name = 'ImageThumbnails1764000000007';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'images',
      new TableColumn({ name: 'thumbnail_key', type: 'text', isNullable: true }),
    );
    for (const column of ['input_bytes', 'output_bytes']) {
      await queryRunner.addColumn(
        'tasks',
        new TableColumn({ name: column, type: 'bigint', default: 0, isNullable: false }),
      );
      await queryRunner.query(
        `UPDATE tasks SET ${column} = (SELECT COALESCE(SUM(images.${column}), 0) FROM images WHERE images.task_id = tasks.id AND images.status = 'done')`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('tasks', 'output_bytes');
    await queryRunner.dropColumn('tasks', 'input_bytes');
    await queryRunner.dropColumn('images', 'thumbnail_key');
  }
}
