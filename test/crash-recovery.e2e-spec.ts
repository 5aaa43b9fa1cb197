import { outputKeyOf, thumbnailKeyOf } from '../src/images/output-key.js';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { countRows, queryDatabase } from './helpers/database-counts.js';
import { QUEUE_SUMMARY_MISMATCHES } from './helpers/queue-summary.js';
import { csvFile, filesUnder, rowCounts } from './helpers/durability.js';
import { webhookOutboxDrained } from './helpers/webhook-outbox.js';
import { uploadFilesUnder } from './helpers/left-upload-files.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { requireBuild, ServerProcess } from './helpers/server-process.js';
import { eventually, freePort, waitForCompletion } from './helpers/test-app.js';
import { imagesCsv, parseCsv } from './helpers/csv.js';
import { postUpload } from './helpers/upload.js';

/**
 * The built server (`node dist/main.cjs`, as in production) killed with SIGKILL: no shutdown hook
 * runs, whatever was in flight is lost, and a restart on the same DATA_DIR must finish the request
 * as if nothing had happened. `npm test` builds first; alone, run `npx nest build` before this file.
 */
const SECRET = `whsec_${Buffer.from('pixelmill-crash-recovery-secret!').toString('base64')}`;
const WEBHOOK_TIMEOUT_MS = 2_000;

interface ImageRow {
  id: string;
  input_url: string;
  status: string;
  output_key: string | null;
}

describe('crash recovery: the built server killed with SIGKILL and started again on the same DATA_DIR', () => {
  // Each URL's bytes its own: every image is made, none reused by content.
  const origin = Object.assign(new FixtureServer(), { distinctImages: true });
  let dataDir: string;
  let server: ServerProcess;

  const imagesOf = (requestId: string) =>
    queryDatabase<ImageRow>(
      dataDir,
      'SELECT id, input_url, status, output_key FROM images WHERE task_id = ? ORDER BY row_number, position',
      requestId,
    );
  const countByStatus = (requestId: string) =>
    Object.fromEntries(
      queryDatabase<{ status: string; count: number }>(
        dataDir,
        'SELECT status, COUNT(*) AS count FROM images WHERE task_id = ? GROUP BY status',
        requestId,
      ).map(({ status, count }) => [status, count]),
    ) as Record<string, number>;

  async function upload(urls: string[], webhookPath: string): Promise<string> {
    const { body } = await postUpload(server.http, imagesCsv(urls), {
      webhookUrl: origin.url(webhookPath),
    }).expect(202);
    expect(body.total_images).toBe(urls.length);
    return body.request_id as string;
  }

  /** Waits for the request's webhook to be delivered and the outbox drained (no attempt left): the one signed post. */
  async function theOneWebhook(requestId: string, hook: string) {
    await eventually(
      async () =>
        (await server.http.get(`/status/${requestId}`).expect(200)).body.webhook?.status === 'delivered',
      15_000,
    );
    await webhookOutboxDrained(server.http, [requestId]);
    const posts = origin.postsTo(hook);
    expect(posts).toHaveLength(1);
    const payload = new Webhook(SECRET).verify(posts[0].body, posts[0].headers as Record<string, string>);
    return { posts, payload };
  }

  /** Every output is served as a JPEG of the recorded size; the files on disk are exactly those outputs. */
  async function expectExactlyTheOutputs(requestId: string, total: number): Promise<void> {
    const { body: page } = await server.http.get(`/requests/${requestId}/images?limit=1000`).expect(200);
    expect(page.images).toHaveLength(total);
    expect(page.images.every((image: any) => image.status === 'done' && image.error === null)).toBe(true);
    const outputs: string[] = page.images.map((image: any) => image.output_url);
    expect(new Set(outputs).size).toBe(total);
    const rows = imagesOf(requestId);
    expect(outputs).toEqual(rows.map((row) => `${server.baseUrl}/files/${outputKeyOf(row.id)}`));
    for (let start = 0; start < page.images.length; start += 10) {
      await Promise.all(
        page.images.slice(start, start + 10).map(async (image: any) => {
          const response = await fetch(image.output_url);
          expect(response.status, image.output_url).toBe(200);
          expect(response.headers.get('content-type')).toBe('image/jpeg');
          const body = Buffer.from(await response.arrayBuffer());
          expect(body.length).toBe(image.output_bytes);
          expect(body.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
        }),
      );
    }
    // No *.tmp left by a write the kill interrupted, nothing for another request, nothing twice.
    const files = filesUnder(join(dataDir, 'images'));
    expect(
      files.filter((file) => file.endsWith('.tmp')),
      'temporary files of writes the kill interrupted',
    ).toEqual([]);
    // An output per image, nothing else: previews are made when first asked for.
    expect(files).toEqual(rows.map((row) => outputKeyOf(row.id)).sort());
    await server.http.get(`/files/${thumbnailKeyOf(rows[0].id)}`).expect(200);
    expect(filesUnder(join(dataDir, 'images'))).toEqual([...files, thumbnailKeyOf(rows[0].id)].sort());

    const exported = await server.http.get(`/export-csv/${requestId}`).expect(200);
    const table = await parseCsv(exported.text);
    expect(table[0].slice(-2)).toEqual(['Output Image Urls', 'Errors']);
    expect(table.slice(1).flatMap((row) => row[row.length - 2].split(','))).toEqual(outputs);
    expect(table.slice(1).every((row) => row[row.length - 1] === '')).toBe(true);
  }

  beforeAll(async () => {
    requireBuild();
    await origin.start();
  });

  beforeEach(async (context) => {
    dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-crash-'));
    const port = await freePort();
    server = new ServerProcess(
      {
        DATA_DIR: dataDir,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        ALLOW_PRIVATE_URLS: 'true',
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
        CONCURRENCY: '3',
      },
      port,
    );
    origin.imageDelayMs = 0;
    origin.imageStatus = () => undefined;
    // Shows what the server printed when a test fails.
    context.onTestFailed(() => console.log(`server output:\n${server.output}`));
  });

  afterEach(async () => {
    await server?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  afterAll(() => origin.stop());

  it('finishes a request killed mid-run exactly once: exact counters, one output per image, one signed webhook', async () => {
    const total = 120;
    const tag = randomUUID().slice(0, 8);
    const hook = `/hook/${tag}`;
    const urls = Array.from({ length: total }, (_, n) =>
      origin.imageUrl('exif-orientation-6.jpg', `crash=${tag}&n=${n}`),
    );
    origin.imageDelayMs = 30; // slow enough that the kill lands mid-run

    await server.start();
    const requestId = await upload(urls, hook);
    const killAfter = Math.round(total * (0.1 + 0.6 * Math.random()));
    await eventually(
      async () =>
        (await server.http.get(`/status/${requestId}`).expect(200)).body.processed_images >= killAfter,
      30_000,
    );
    await server.kill();

    const atKill = countByStatus(requestId);
    console.log(
      `crash: killed after >= ${killAfter}/${total} processed; images then: ${JSON.stringify(atKill)}`,
    );
    expect(atKill.done).toBeGreaterThan(0);
    expect(atKill.done).toBeLessThan(total);
    expect(origin.postsTo(hook)).toHaveLength(0);
    // The queue's summary changed only in the transactions that changed the images: exact after the kill.
    expect(queryDatabase(dataDir, QUEUE_SUMMARY_MISMATCHES)).toEqual([]);

    const downloadsBefore = origin.imageRequests.length;
    await server.start();
    const status = await waitForCompletion(server.http, requestId, 60_000);
    expect(status).toMatchObject({
      request_id: requestId,
      status: 'completed',
      progress: `${total}/${total}`,
      total_images: total,
      processed_images: total,
      failed_images: 0,
      completed_at: expect.any(String),
    });
    if (atKill.processing)
      expect(server.runs[1]).toContain(
        `requeued ${atKill.processing} image(s) left processing by a previous run`,
      );
    // What was done before the kill is not fetched again; each unfinished image is fetched once more.
    const refetched = origin.imageRequests.slice(downloadsBefore);
    expect(refetched).toHaveLength(total - atKill.done);
    expect(new Set(refetched).size).toBe(refetched.length);

    await expectExactlyTheOutputs(requestId, total);

    const { posts, payload } = await theOneWebhook(requestId, hook);
    expect(payload).toMatchObject({
      type: 'request.completed',
      request_id: requestId,
      status: 'completed',
      total_images: total,
      processed_images: total,
      failed_images: 0,
    });
    const { body: final } = await server.http.get(`/status/${requestId}`).expect(200);
    expect(final.webhook).toEqual({ status: 'delivered', attempts: 1, last_status: 200, last_error: null });
    expect(queryDatabase(dataDir, 'SELECT id FROM webhook_deliveries WHERE task_id = ?', requestId)).toEqual([
      { id: posts[0].headers['webhook-id'] },
    ]);
    expect(server.output).not.toMatch(/SQLITE_BUSY|ERROR/);
    expect(queryDatabase(dataDir, QUEUE_SUMMARY_MISMATCHES)).toEqual([]);
  });

  it('fails an image that kills its worker every time with worker_crashed after MAX_LEASE_EXPIRIES restarts: the request completes, one webhook', async () => {
    const maxLeaseExpiries = 1;
    server.env.MAX_LEASE_EXPIRIES = String(maxLeaseExpiries);
    const tag = randomUUID().slice(0, 8);
    const hook = `/hook/${tag}`;
    // The supplier's token is in the query string: no log line may carry it.
    const poison = origin.imageUrl('exif-orientation-6.jpg', `poison=${tag}&token=supplier-token-${tag}`);
    const fetchesOfPoison = () =>
      origin.imageRequests.filter((path) => path.includes(`poison=${tag}`)).length;
    // The download never ends: each run is killed while it holds the image, as an image that makes
    // libvips abort or the kernel kill the process for memory would.
    origin.imageDelayMs = 600_000;

    await server.start();
    const requestId = await upload([poison], hook);
    for (let run = 1; run <= maxLeaseExpiries + 1; run++) {
      if (run > 1) await server.start();
      await eventually(() => fetchesOfPoison() === run, 15_000);
      await server.kill();
      expect(countByStatus(requestId)).toEqual({ processing: 1 });
    }

    await server.start();
    const status = await waitForCompletion(server.http, requestId, 30_000);
    expect(status).toMatchObject({ status: 'failed', processed_images: 1, failed_images: 1 });
    expect(fetchesOfPoison()).toBe(maxLeaseExpiries + 1); // not fetched again by the run that failed it
    const { body: page } = await server.http.get(`/requests/${requestId}/images`).expect(200);
    expect(page.images).toMatchObject([
      {
        status: 'failed',
        error_code: 'worker_crashed',
        error: expect.stringContaining('MAX_LEASE_EXPIRIES'),
      },
    ]);

    const { payload } = await theOneWebhook(requestId, hook);
    expect(payload).toMatchObject({ request_id: requestId, status: 'failed', failed_images: 1 });

    const lastRun = server.runs[maxLeaseExpiries + 1];
    expect(lastRun).toMatch(/\/images\/exif-orientation-6\.jpg\) attempt \d+: failed with worker_crashed/);
    expect(server.output).not.toContain(`supplier-token-${tag}`);
  }, 180_000); // one start per run of the built server: slow on a busy machine

  it('delivers the webhook after a kill during its first attempt, with the same webhook-id and a valid signature each time', async () => {
    const total = 20;
    const tag = randomUUID().slice(0, 8);
    const hook = `/hook/${tag}`;
    const urls = Array.from({ length: total }, (_, n) =>
      origin.imageUrl('animated.gif', `late=${tag}&n=${n}`),
    );
    origin.script(hook, (attempt) => (attempt === 1 ? 'hang' : 200)); // the first attempt never gets an answer

    await server.start();
    const requestId = await upload(urls, hook);
    await eventually(() => origin.postsTo(hook).length === 1, 30_000);
    const { body: before } = await server.http.get(`/status/${requestId}`).expect(200);
    expect(before).toMatchObject({ status: 'completed', processed_images: total, failed_images: 0 });
    expect(before.webhook.status).toBe('pending');
    await server.kill();

    const downloadsBefore = origin.imageRequests.length;
    await server.start();
    // The interrupted attempt's claim runs out (2 × WEBHOOK_TIMEOUT_MS), then the restarted dispatcher sends it again.
    await eventually(
      async () =>
        (await server.http.get(`/status/${requestId}`).expect(200)).body.webhook?.status === 'delivered',
      4 * WEBHOOK_TIMEOUT_MS + 5_000,
    );
    await webhookOutboxDrained(server.http, [requestId], { earlierAttempts: before.webhook.attempts });
    const posts = origin.postsTo(hook);
    expect(posts).toHaveLength(2);
    expect(new Set(posts.map((post) => post.headers['webhook-id'])).size).toBe(1);
    expect(posts[1].body).toBe(posts[0].body);
    for (const post of posts) {
      expect(new Webhook(SECRET).verify(post.body, post.headers as Record<string, string>)).toMatchObject({
        request_id: requestId,
        status: 'completed',
      });
    }
    const { body: after } = await server.http.get(`/status/${requestId}`).expect(200);
    expect(after).toMatchObject({
      status: 'completed',
      processed_images: total,
      failed_images: 0,
      completed_at: before.completed_at,
    });
    // Both attempts count: the receiver saw two.
    expect(after.webhook).toEqual({ status: 'delivered', attempts: 2, last_status: 200, last_error: null });
    expect(origin.imageRequests.length).toBe(downloadsBefore); // a finished request is not processed again
    await expectExactlyTheOutputs(requestId, total);
  });

  it('on SIGTERM drains: in-flight images finish, the rest go back to queued, then the process ends; a restart completes', async () => {
    const tag = randomUUID().slice(0, 8);
    const urls = Array.from({ length: 30 }, (_, n) => origin.imageUrl('animated.gif', `term=${tag}&n=${n}`));
    origin.imageDelayMs = 300;
    await server.start();
    const requestId = await upload(urls, `/hook/${tag}`);
    await eventually(() => (countByStatus(requestId).done ?? 0) >= 3, 20_000);

    await server.kill('SIGTERM');
    // Nest runs every shutdown hook, then re-raises the signal: the drain is logged before the exit.
    expect(server.output).toMatch(
      /shutdown: requeued \d+ unfinished image\(s\)\n+\[exited: code null, signal SIGTERM\]/,
    );
    const atExit = countByStatus(requestId);
    expect(atExit.processing ?? 0).toBe(0);
    expect((atExit.done ?? 0) + (atExit.queued ?? 0)).toBe(urls.length);

    origin.imageDelayMs = 0;
    await server.start();
    const status = await waitForCompletion(server.http, requestId);
    expect(status).toMatchObject({ status: 'completed', processed_images: urls.length, failed_images: 0 });
    await expectExactlyTheOutputs(requestId, urls.length);
  });

  // put() writes into STORAGE_DIR/.incoming/ and renames; a kill between the two leaves the temporary
  // file, planted here exactly as such a kill leaves it. The next start must drop it.
  it('removes the temporary file of a write the kill interrupted', async () => {
    const tag = randomUUID().slice(0, 8);
    const urls = Array.from({ length: 5 }, (_, n) => origin.imageUrl('animated.gif', `tmp=${tag}&n=${n}`));
    await server.start();
    const requestId = await upload(urls, `/hook/${tag}`);
    await waitForCompletion(server.http, requestId);
    await server.kill();

    const leftover = join(dataDir, 'images', '.incoming', `${randomUUID()}.tmp`);
    mkdirSync(join(dataDir, 'images', '.incoming'), { recursive: true });
    writeFileSync(leftover, Buffer.alloc(1024));
    await server.start();
    await expectExactlyTheOutputs(requestId, urls.length);
  });

  // The output is stored before the image is recorded done; a kill in between leaves the file. If the image
  // then fails after the restart, the failure must remove it (else it is served while the export says failed).
  // Planted here for an image the kill left unfinished.
  it('removes an output stored before the kill when that image then fails', async () => {
    const tag = randomUUID().slice(0, 8);
    const urls = Array.from({ length: 6 }, (_, n) => origin.imageUrl('animated.gif', `orphan=${tag}&n=${n}`));
    const gone = urls[5];
    let goneNow = false;
    origin.imageStatus = (path) => (goneNow && gone.endsWith(path) ? 404 : undefined);
    origin.imageDelayMs = 400;
    await server.start();
    const requestId = await upload(urls, `/hook/${tag}`);
    await eventually(() => imagesOf(requestId).some((row) => row.status === 'processing'));
    await server.kill();

    const unfinished = imagesOf(requestId).find((row) => row.input_url === gone && row.status !== 'done');
    if (!unfinished) throw new Error('the last image finished before the kill');
    mkdirSync(dirname(join(dataDir, 'images', outputKeyOf(unfinished.id))), { recursive: true });
    writeFileSync(join(dataDir, 'images', outputKeyOf(unfinished.id)), Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    goneNow = true;
    origin.imageDelayMs = 0;
    await server.start();
    const status = await waitForCompletion(server.http, requestId);
    expect(status).toMatchObject({ status: 'completed_with_errors', processed_images: 6, failed_images: 1 });
    const done = imagesOf(requestId).filter((row) => row.status === 'done');
    const expected = done
      .map((row) => outputKeyOf(row.id))
      .sort()
      .join();
    // The failure's recording completes the request; the orphan goes just after it commits.
    await eventually(() => filesUnder(join(dataDir, 'images')).join() === expected);
  });

  it('removes, at the next start, the rows and the file of an upload killed while its rows were being stored', async () => {
    const tag = randomUUID().slice(0, 8);
    // 60,000 images, stored 1,000 at a time: the kill lands once some are stored, before the task row is.
    const urls = Array.from({ length: 60_000 }, (_, n) =>
      origin.imageUrl('animated.gif', `killed=${tag}&n=${n}`),
    );
    await server.start();
    const posting = server.http
      .post('/upload')
      .attach('file', ...csvFile(imagesCsv(urls, 20)))
      .then(
        () => undefined,
        () => undefined,
      );
    await eventually(() => countRows(dataDir, 'staged_tasks') === 1 && countRows(dataDir, 'images') > 0);
    await server.kill();
    await posting;
    expect(countRows(dataDir, 'tasks'), 'killed before its task row was written').toBe(0);
    expect(uploadFilesUnder(dataDir), 'the uploaded file the kill left').toHaveLength(1);

    await server.start();
    expect(rowCounts(dataDir)).toEqual({ tasks: 0, products: 0, images: 0, webhook_deliveries: 0 });
    expect(countRows(dataDir, 'staged_tasks')).toBe(0);
    expect(uploadFilesUnder(dataDir)).toEqual([]);
    expect(origin.imageRequests.filter((path) => path.includes(`killed=${tag}`))).toEqual([]);
  });
});
