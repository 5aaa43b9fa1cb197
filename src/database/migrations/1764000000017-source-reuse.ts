import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What re-imports reuse, per owner (the queue owner: an API key's name, or the client's address while
 * the service is open), never across owners:
 * - `outputs`: one row per stored output (an original image's output, or its renditions), named by its
 *   storage key (the first rendition's, with renditions), with the SHA-256 of the source bytes it was
 *   made from, the output options it was made with (`options_key`, a hash of them), what a reusing image
 *   copies (bytes, quality, score, renditions) and `refs`, how many images name it. An image reusing it
 *   adds one in the transaction that records it; a deletion takes one off in the transaction that
 *   deletes the image, and the one that takes the last queues its storage keys in `output_removals`.
 * - `sources`: per owner, output options and URL (by its SHA-256: a URL may be long), the validators
 *   the source was last downloaded with (`ETag`, `Last-Modified`) and the output made from it.
 * - `output_removals`: storage keys that no row names any more, removed from storage after the
 *   transaction that queued them commits (and at start, what a stopped process did not remove).
 * Images get `reused` ('revalidated' | 'content_match', else null) and tasks a `reused_images` counter.
 */
export class SourceReuse1764000000017 implements MigrationInterface {
  name = 'SourceReuse1764000000017';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE outputs (
      output_key text PRIMARY KEY,
      owner varchar(64) NOT NULL,
      options_key varchar(64) NOT NULL,
      content_sha256 varchar(64) NOT NULL,
      refs integer NOT NULL,
      output_bytes bigint NOT NULL,
      output_quality integer NOT NULL,
      output_score real,
      renditions text,
      created_at bigint NOT NULL)`);
    await queryRunner.query(
      'CREATE INDEX idx_outputs_content ON outputs (owner, options_key, content_sha256)',
    );
    await queryRunner.query(`CREATE TABLE sources (
      owner varchar(64) NOT NULL,
      options_key varchar(64) NOT NULL,
      url_sha256 varchar(64) NOT NULL,
      etag text,
      last_modified text,
      output_key text NOT NULL,
      checked_at bigint NOT NULL,
      PRIMARY KEY (owner, options_key, url_sha256))`);
    await queryRunner.query('CREATE INDEX idx_sources_output ON sources (output_key)');
    await queryRunner.query(`CREATE TABLE output_removals (
      storage_key text PRIMARY KEY,
      queued_at bigint NOT NULL)`);
    // Plain nullable or defaulted ADD COLUMNs: no table rewrite on SQLite or PostgreSQL.
    await queryRunner.query('ALTER TABLE images ADD COLUMN reused varchar(16)');
    await queryRunner.query('ALTER TABLE tasks ADD COLUMN reused_images integer NOT NULL DEFAULT 0');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE tasks DROP COLUMN reused_images');
    await queryRunner.query('ALTER TABLE images DROP COLUMN reused');
    await queryRunner.query('DROP TABLE output_removals');
    await queryRunner.query('DROP TABLE sources');
    await queryRunner.query('DROP TABLE outputs');
  }
}
