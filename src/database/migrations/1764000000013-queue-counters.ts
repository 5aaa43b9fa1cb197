import { MigrationInterface, QueryRunner } from 'typeorm';
import { imageCost } from '../../config/image-cost.js';
import type { OutputOptions } from '../../config/output-options.js';

/**
 * The queue's summary, so that a claim reads a few counters instead of counting images: per request
 * (`queue_tasks`) its images waiting for a worker and those in flight, with their cost; per owner
 * (`queue_owners`, an API key's name or a client's address) its weight, its images waiting and the
 * cost of those in flight. Kept in the transactions that change the images' states (see
 * QueueCounters). Duplicates (duplicate_of) are never claimed, so never counted. A request's row goes
 * with its task row. Filled here from the images of the requests still processing.
 */
export class QueueCounters1764000000013 implements MigrationInterface {
  name = 'QueueCounters1764000000013';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE queue_owners (
      owner varchar(64) PRIMARY KEY,
      weight integer NOT NULL DEFAULT 1,
      queued_images integer NOT NULL DEFAULT 0,
      in_flight_cost integer NOT NULL DEFAULT 0,
      claimed_at bigint NOT NULL DEFAULT 0)`);
    await queryRunner.query(`CREATE TABLE queue_tasks (
      task_id varchar(36) PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
      owner varchar(64) NOT NULL,
      created_at bigint NOT NULL,
      cost integer NOT NULL,
      queued_images integer NOT NULL DEFAULT 0,
      in_flight_images integer NOT NULL DEFAULT 0,
      in_flight_cost integer NOT NULL DEFAULT 0)`);
    // A claim's order within an owner: least in flight, then oldest, among the requests with images waiting.
    await queryRunner.query(
      'CREATE INDEX idx_queue_tasks_claim ON queue_tasks (owner, in_flight_cost, created_at) WHERE queued_images > 0',
    );

    const tasks: Array<{ id: string; output_options: string }> = await queryRunner.query(
      "SELECT id, output_options FROM tasks WHERE status = 'processing'",
    );
    const placeholder = (n: number) => (queryRunner.connection.options.type === 'postgres' ? `$${n}` : '?');
    for (const task of tasks) {
      const cost = imageCost(JSON.parse(task.output_options) as OutputOptions);
      await queryRunner.query(
        `INSERT INTO queue_tasks (task_id, owner, created_at, cost, queued_images, in_flight_images, in_flight_cost)
         SELECT t.id, t.owner, t.created_at, ${placeholder(1)},
                (SELECT COUNT(*) FROM images i WHERE i.task_id = t.id AND i.status = 'queued' AND i.duplicate_of IS NULL),
                (SELECT COUNT(*) FROM images i WHERE i.task_id = t.id AND i.status = 'processing'),
                ${placeholder(2)} * (SELECT COUNT(*) FROM images i WHERE i.task_id = t.id AND i.status = 'processing')
           FROM tasks t WHERE t.id = ${placeholder(3)}`,
        [cost, cost, task.id],
      );
    }
    await queryRunner.query(
      `INSERT INTO queue_owners (owner, weight, queued_images, in_flight_cost, claimed_at)
       SELECT owner, 1, SUM(queued_images), SUM(in_flight_cost), 0 FROM queue_tasks GROUP BY owner`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE queue_tasks');
    await queryRunner.query('DROP TABLE queue_owners');
  }
}
