import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** The seed's output: what every request stored before output options were written with. */
const SEED_OUTPUT = JSON.stringify({ format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null });

/**
 * Requests carry their output options (format, quality or auto, bounds); images record the quality their
 * output was written at and, for quality=auto, its measured similarity.
 */
export class OutputOptions1764000000006 implements MigrationInterface {
  name = 'OutputOptions1764000000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'tasks',
      new TableColumn({
        name: 'output_options',
        type: 'text',
        default: `'${SEED_OUTPUT}'`,
        isNullable: false,
      }),
    );
    await queryRunner.addColumns('images', [
      new TableColumn({ name: 'output_quality', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'output_score', type: 'real', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('images', 'output_score');
    await queryRunner.dropColumn('images', 'output_quality');
    await queryRunner.dropColumn('tasks', 'output_options');
  }
}
