import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { outputKeyOf } from '../../src/images/output-key.js';
import { readEventStream } from '../helpers/event-stream.js';
import { productCsv } from '../helpers/csv.js';
import { FixtureServer } from '../helpers/fixture-server.js';
import { metricTotal } from '../helpers/metrics.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { QUEUE_SUMMARY_MISMATCHES } from '../helpers/queue-summary.js';
import { S3TestServer } from '../helpers/s3-server.js';
import { requireBuild, ServerProcess } from '../helpers/server-process.js';
import { eventually, freePort, waitForCompletion } from '../helpers/test-app.js';
import { upload } from '../helpers/upload.js';
import { webhookOutboxDrained } from '../helpers/webhook-outbox.js';

const SECRET = `whsec_${Buffer.from('pixelmill-topology-webhook-key!!').toString('base64')}`;
const IMAGES = 150;

/**
 * Production topology, from the build: one ROLE=api process and two ROLE=worker processes, each with an
 * empty DATA_DIR of its own (no shared disk), on one PostgreSQL database and one S3-compatible store
 * (s3rver on loopback). A worker is killed with SIGKILL a third of the way through.
 */
describe('scale-out topology: api + 2 workers, PostgreSQL and S3, no shared disk', () => {
  // Each URL its own bytes: every image is made, none reused by its content.
  const fixtures = Object.assign(new FixtureServer(), { distinctImages: true });
  const s3 = new S3TestServer();
  let database: PostgresDatabase;
  let db: pg.Client;
  const dataDirs: string[] = [];
  let api: ServerProcess;
  let workers: ServerProcess[];

  async function processEnv(role: string): Promise<Record<string, string>> {
    const dataDir = await mkdtemp(join(tmpdir(), `pixelmill-${role}-`));
    dataDirs.push(dataDir);
    return {
      ...s3.env(),
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID!,
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY!,
      ROLE: role,
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_SECRET: SECRET,
      CONCURRENCY: '4',
      DOWNLOAD_RETRIES: '0',
      LEASE_MS: '2000',
      SHUTDOWN_GRACE_MS: '1000',
    };
  }

  const countByStatus = async (requestId: string) => {
    const { rows } = await db.query(
      'SELECT status, COUNT(*)::int AS n FROM images WHERE task_id = $1 GROUP BY status',
      [requestId],
    );
    return Object.fromEntries(rows.map((row) => [row.status, row.n])) as Record<string, number>;
  };

  beforeAll(async () => {
    requireBuild();
    await fixtures.start();
    await s3.start();
    database = await PostgresDatabase.create();
    const apiPort = await freePort();
    api = new ServerProcess(
      { ...(await processEnv('api')), PUBLIC_URL: `http://127.0.0.1:${apiPort}` },
      apiPort,
    );
    workers = [];
    for (let index = 0; index < 2; index++) {
      const port = await freePort();
      workers.push(
        new ServerProcess(
          { ...(await processEnv('worker')), PUBLIC_URL: `http://127.0.0.1:${apiPort}` },
          port,
        ),
      );
    }
    await api.start();
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
  });

  afterAll(async () => {
    for (const server of [api, ...(workers ?? [])]) await server?.kill();
    await db?.end();
    await database?.drop();
    await s3.stop();
    await fixtures.stop();
    for (const dataDir of dataDirs) await rm(dataDir, { recursive: true, force: true });
  });

  it('processes every image exactly once across a worker crash: exact counters, one object per image, one signed webhook', async () => {
    fixtures.imageDelayMs = 30;
    const urls = Array.from({ length: IMAGES }, (_, index) =>
      fixtures.imageUrl(index === IMAGES - 1 ? 'missing.jpg' : 'exif-orientation-6.jpg', `n=${index}`),
    );
    const requestId = await upload(api.http, productCsv(urls), {
      webhookUrl: `${fixtures.baseUrl}/webhook`,
      fileName: 'catalog.csv',
    });

    // The API's progress stream reads the database: it moves while other processes do the work.
    const stream = readEventStream(`${api.baseUrl}/requests/${requestId}/events`);

    // A worker answers HTTP (for an orchestrator's probe) but serves none of the API.
    await Promise.all(workers.map((worker) => worker.start()));
    await workers[0].http.get(`/status/${requestId}`).expect(404);
    await workers[0].http.post('/upload').expect(404);

    await eventually(
      async () => ((await countByStatus(requestId)).done ?? 0) >= IMAGES / 3 || undefined,
      60_000,
    );
    await workers[0].kill('SIGKILL');
    const atKill = await countByStatus(requestId);
    console.log(`topology: worker 1 killed with ${JSON.stringify(atKill)}`);
    // The dead worker's claims and recordings committed whole or not at all: its images still count as
    // in flight (until their leases run out), and the summary agrees with the images in one snapshot.
    expect((await db.query(QUEUE_SUMMARY_MISMATCHES)).rows).toEqual([]);

    const status = await waitForCompletion(api.http, requestId, 90_000);
    expect(status).toMatchObject({
      status: 'completed_with_errors',
      total_images: IMAGES,
      processed_images: IMAGES,
      failed_images: 1,
    });
    expect(await countByStatus(requestId)).toEqual({ done: IMAGES - 1, failed: 1 });
    expect((await db.query(QUEUE_SUMMARY_MISMATCHES)).rows).toEqual([]);

    // The API process, running from the upload to the end, processed nothing: its own /metrics count
    // no image recorded and no download attempted. The surviving worker recorded every image left
    // when the other was killed (and those it had recorded before).
    expect(await metricTotal(api.http, 'pixelmill_images_processed_total')).toBe(0);
    expect(await metricTotal(api.http, 'pixelmill_image_stage_seconds_count')).toBe(0);
    expect(await metricTotal(workers[1].http, 'pixelmill_images_processed_total')).toBeGreaterThanOrEqual(
      IMAGES - (atKill.done ?? 0) - (atKill.failed ?? 0),
    );
    expect(await metricTotal(workers[1].http, 'pixelmill_image_stage_seconds_count')).toBeGreaterThan(0);

    // One object per image in the bucket, nothing else, and every output URL served from it.
    const { rows } = await db.query("SELECT id FROM images WHERE task_id = $1 AND status = 'done'", [
      requestId,
    ]);
    expect(await s3.keys()).toEqual(rows.map((row) => outputKeyOf(row.id)).sort());
    const { events } = await stream;
    expect(events.length).toBeGreaterThan(2);
    expect(events.at(-1)).toMatchObject({ event: 'completed', data: { processed_images: IMAGES } });
    const counts = events.map((event) => event.data.processed_images);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    const { body: page } = await api.http.get(`/requests/${requestId}/images?limit=200`).expect(200);
    const outputs = page.images
      .filter((image: any) => image.status === 'done')
      .map((image: any) => image.output_url);
    expect(outputs).toHaveLength(IMAGES - 1);
    for (const url of outputs.slice(0, 20)) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
    }
    // A preview is made by the api process on its first request, and stored in the bucket.
    const previewed = page.images.find((image: any) => image.thumbnail_url);
    const preview = await fetch(previewed.thumbnail_url);
    expect(preview.headers.get('content-type')).toBe('image/webp');
    expect(await s3.keys()).toContain(new URL(previewed.thumbnail_url).pathname.replace(/^\/files\//, ''));

    // Exactly one signed webhook, from whichever worker completed the request.
    await webhookOutboxDrained(api.http, [requestId], {
      // the workers still running (the one killed sent nothing: the request completed after it)
      dispatchers: [api, ...workers]
        .filter((process) => process.pid !== undefined)
        .map((process) => process.http),
    });
    expect(fixtures.webhooks).toHaveLength(1);
    const payload = new Webhook(SECRET).verify(
      fixtures.webhooks[0].body,
      fixtures.webhooks[0].headers as Record<string, string>,
    ) as Record<string, unknown>;
    expect(payload).toMatchObject({ request_id: requestId, processed_images: IMAGES, failed_images: 1 });
  });
});
