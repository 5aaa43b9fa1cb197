import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, inList } from '../../src/database/sql.js';
import { UnitOfWork } from '../../src/database/unit-of-work.js';
import { csvFile } from './durability.js';
import { FixtureServer } from './fixture-server.js';
import { QUEUE_SUMMARY_MISMATCHES } from './queue-summary.js';
import { type TestApp, waitForCompletion } from './test-app.js';
import { imagesCsv, productCsv } from './csv.js';

/** More than two of DuplicateFanOut's slices (500 duplicates per transaction). */
const REPEATS = 1_201;
const BROKEN_REPEATS = 600;

/**
 * A URL repeated more often than one transaction gives its outcome to: every occurrence gets it, in
 * slices, with exact counters; and occurrences a killed process left waiting between two slices get it
 * at the next start. `start` starts the service on the given DATA_DIR (and its database).
 */
export function duplicateFanOutCases(start: (dataDir: string) => Promise<TestApp>): void {
  const fixtures = new FixtureServer();
  let service: TestApp | undefined;
  let dataDir: string;

  beforeAll(async () => {
    await fixtures.start();
  });
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-fan-out-'));
  });
  afterEach(async () => {
    await service?.close();
    service = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await fixtures.stop();
  });

  async function uploadRepeats(tag: string): Promise<string> {
    const shared = fixtures.imageUrl('alpha.png', tag);
    const broken = fixtures.imageUrl('gone.jpg', tag);
    const csv = productCsv(
      Array.from({ length: REPEATS }, (_, i) => (i < BROKEN_REPEATS ? [shared, broken] : shared)),
    );
    const { body } = await service!.http
      .post('/upload')
      .attach('file', Buffer.from(csv), 'repeats.csv')
      .expect(202);
    expect(body.total_images).toBe(REPEATS + BROKEN_REPEATS);
    return body.request_id;
  }

  async function countByStatus(requestId: string, status: string): Promise<number> {
    const { body } = await service!.http
      .get(`/requests/${requestId}/images?status=${status}&limit=1`)
      .expect(200);
    return body.total;
  }

  it('gives each of 1,800 occurrences of two URLs their outcome, a slice at a time, counting each once', async () => {
    service = await start(dataDir);
    const requestId = await uploadRepeats('slices');
    const status = await waitForCompletion(service.http, requestId);
    expect(status).toMatchObject({
      status: 'completed_with_errors',
      processed_images: REPEATS + BROKEN_REPEATS,
      failed_images: BROKEN_REPEATS,
    });
    expect(fixtures.imageRequests.filter((path) => path === '/images/alpha.png?slices')).toHaveLength(1);
    expect(await countByStatus(requestId, 'done')).toBe(REPEATS);
    expect(await countByStatus(requestId, 'failed')).toBe(BROKEN_REPEATS);
    expect(await countByStatus(requestId, 'queued')).toBe(0);
    // The duplicates waiting (queued, never claimed) were never in the queue's summary, nor their fan-out.
    expect(status).toMatchObject({ queued_images: 0, in_flight_images: 0 });
    expect(await summaryMismatches()).toEqual([]);
  });

  it('gives occurrences left waiting by a stopped process their outcome at the next start', async () => {
    service = await start(dataDir);
    const requestId = await uploadRepeats('resumed');
    await waitForCompletion(service.http, requestId);
    // As if the process had been killed after the first slice: all but 500 duplicates still waiting,
    // and the request's counters without them.
    const waiting = await leaveDuplicatesWaiting(requestId, REPEATS + BROKEN_REPEATS - 2 - 500);
    expect(waiting).toBeGreaterThan(1_000);
    await service.close();
    service = await start(dataDir);
    const status = await waitForCompletion(service.http, requestId);
    expect(status).toMatchObject({
      status: 'completed_with_errors',
      processed_images: REPEATS + BROKEN_REPEATS,
      failed_images: BROKEN_REPEATS,
    });
    expect(await countByStatus(requestId, 'done')).toBe(REPEATS);
    expect(await countByStatus(requestId, 'failed')).toBe(BROKEN_REPEATS);
    // Resumed from the stored outcome: nothing downloaded again.
    expect(fixtures.imageRequests.filter((path) => path === '/images/alpha.png?resumed')).toHaveLength(1);
    expect(await summaryMismatches()).toEqual([]);
  });

  it('resumes the waiting duplicates of more images than one sweep takes (100)', async () => {
    service = await start(dataDir);
    const urls = Array.from({ length: 150 }, (_, i) => fixtures.imageUrl('alpha.png', `many-${i}`));
    const { body } = await service.http
      .post('/upload')
      .attach(
        'file',
        ...csvFile(
          imagesCsv(
            urls.flatMap((url) => [url, url]),
            2,
          ),
        ),
      )
      .expect(202);
    await waitForCompletion(service.http, body.request_id);
    expect(await leaveDuplicatesWaiting(body.request_id, 150)).toBe(150);
    await service.close();
    service = await start(dataDir);
    expect(await waitForCompletion(service.http, body.request_id)).toMatchObject({
      status: 'completed',
      processed_images: 300,
      failed_images: 0,
    });
    expect(await countByStatus(body.request_id, 'done')).toBe(300);
  });

  async function summaryMismatches(): Promise<unknown[]> {
    return service!.app
      .get(UnitOfWork)
      .run(async (tx) => (await execute(tx.manager, QUEUE_SUMMARY_MISMATCHES)).records);
  }

  /**
   * As if the process had been killed between two slices: `count` of the request's duplicates waiting
   * again, and the request's counters without them. Returns how many were reset.
   */
  async function leaveDuplicatesWaiting(requestId: string, count: number): Promise<number> {
    return service!.app.get(UnitOfWork).run(async (tx) => {
      const { records } = await execute<{ id: string }>(
        tx.manager,
        `SELECT id FROM images WHERE task_id = ? AND duplicate_of IS NOT NULL ORDER BY id LIMIT ?`,
        [requestId, count],
      );
      const ids = records.map((row) => row.id);
      for (let i = 0; i < ids.length; i += 500) {
        const slice = ids.slice(i, i + 500);
        await execute(
          tx.manager,
          `UPDATE images SET status = 'queued', output_key = NULL, error_code = NULL,
              error_message = NULL, input_bytes = NULL, output_bytes = NULL WHERE id IN (${inList(slice.length)})`,
          slice,
        );
      }
      const { records: failed } = await execute<{ count: number | string }>(
        tx.manager,
        `SELECT COUNT(*) AS count FROM images WHERE task_id = ? AND status = 'failed'`,
        [requestId],
      );
      await execute(
        tx.manager,
        `UPDATE tasks SET status = 'processing', completed_at = NULL, processed_images = processed_images - ?,
            failed_images = ? WHERE id = ?`,
        [ids.length, Number(failed[0].count), requestId],
      );
      return ids.length;
    });
  }
}
