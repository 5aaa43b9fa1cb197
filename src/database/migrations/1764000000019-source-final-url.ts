import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A source's validators belong to the URL that answered with them: the last hop of the download that
 * got them, which a redirect makes another URL than the one uploaded. `sources.final_url` keeps it, so
 * that the next import sends them to that URL alone: a redirect that now leads elsewhere reaches
 * another file, whose `304` to the old file's date would reuse the old file's output. Rows kept before
 * (null) are taken as the uploaded URL's.
 */
export class SourceFinalUrl1764000000019 implements MigrationInterface {
  name = 'SourceFinalUrl1764000000019';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE sources ADD COLUMN final_url text');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE sources DROP COLUMN final_url');
  }
}
