import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** Requests keep the name of the CSV they were uploaded as, so people can tell them apart. */
export class RequestFileNames1764000000012 implements MigrationInterface {
  name = 'RequestFileNames1764000000012';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'tasks',
      new TableColumn({ name: 'file_name', type: 'varchar', length: '255', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('tasks', 'file_name');
  }
}
