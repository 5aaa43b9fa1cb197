import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { flatPng, noisyJpeg } from './helpers/costly-images.js';
import { FixtureServer, FIXTURES_DIR } from './helpers/fixture-server.js';
import { freePort } from './helpers/loopback-server.js';
import { requireBuild, ServerProcess } from './helpers/server-process.js';
import { productCsv } from './helpers/csv.js';

// The built server (`node dist/main.cjs`) as a child, so that its threads and its peak RSS are read from
// the outside (/proc/<pid>); every image comes from a server on 127.0.0.1 inside the test.

const ALICE = 'alice-0123456789abcdefghijklmnop';
const BOB = 'bob-0123456789abcdefghijklmnopqrs';
const SMALL = readFileSync(join(FIXTURES_DIR, 'exif-orientation-8.jpg'));

const csvOf = (urls: string[]) => Buffer.from(productCsv(urls));

async function upload(
  service: ServerProcess,
  key: string,
  urls: string[],
  fields: Record<string, string> = {},
) {
  let post = service.http.post('/upload').set('Authorization', `Bearer ${key}`);
  for (const [name, value] of Object.entries(fields)) post = post.field(name, value);
  const { body } = await post
    .attach('file', csvOf(urls), { filename: 'products.csv', contentType: 'text/csv' })
    .expect(202);
  return body.request_id as string;
}

async function statusOf(service: ServerProcess, key: string, requestId: string) {
  const { body } = await service.http
    .get(`/status/${requestId}`)
    .set('Authorization', `Bearer ${key}`)
    .expect(200);
  return body as { status: string; processed_images: number; failed_images: number };
}

async function waitForCompletion(service: ServerProcess, key: string, requestId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await statusOf(service, key, requestId);
    if (status.status !== 'processing') return status;
    if (Date.now() > deadline)
      throw new Error(
        `request ${requestId} not completed in ${timeoutMs} ms: ${JSON.stringify(status)}\n${service.output}`,
      );
    await sleep(200);
  }
}

async function imagesOf(service: ServerProcess, key: string, requestId: string) {
  const { body } = await service.http
    .get(`/requests/${requestId}/images`)
    .set('Authorization', `Bearer ${key}`)
    .expect(200);
  return body.images as Array<Record<string, any>>;
}

/** The server's peak resident memory so far (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/** How many of the process's threads wait in open() for the other end of a FIFO. */
function threadsOpeningFifos(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).filter((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/wchan`, 'utf8').trim() === 'wait_for_partner';
    } catch {
      return false; // the thread ended meanwhile
    }
  }).length;
}

function serverEnv(dataDir: string, env: Record<string, string>): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    API_KEYS: `alice:${ALICE},bob:${BOB}`,
    ALLOW_PRIVATE_URLS: 'true',
    RATE_LIMIT_UPLOADS_PER_MIN: '0',
    MALLOC_ARENA_MAX: '2', // as `npm run start:prod` runs it
    ...env,
  };
}

describe('one client\u2019s expensive images cannot take the machine', () => {
  let dataDir: string;
  let service: ServerProcess | undefined;
  const images = new FixtureServer();

  beforeAll(async () => {
    requireBuild();
    // The flat PNG is MAX_IMAGE_PIXELS exactly, and a few hundred KB: a flat colour compresses to nothing.
    await images
      .serve('/noisy.jpg', await noisyJpeg(1500, 1000), 'image/jpeg')
      .serve('/flat.png', await flatPng(), 'image/png')
      .serve('/small.jpg', SMALL, 'image/jpeg')
      .start();
  });

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'pixelmill-isolation-'));
  });

  afterEach(async () => {
    await service?.kill();
    service = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await images.stop();
  });

  async function start(env: Record<string, string>): Promise<ServerProcess> {
    service = new ServerProcess(serverEnv(dataDir, env), await freePort());
    await service.start();
    return service;
  }

  it('the entry point sizes libuv\u2019s pool: with IMAGE_THREADS=1 and PREVIEW_CONCURRENCY=1, six file reads can hang and a seventh is still served', async () => {
    // UV_THREADPOOL_SIZE unset: the entry point makes it 1 + 1 + 1 (headers) + 4 = 7 (libuv's default is 4).
    const server = await start({ IMAGE_THREADS: '1', PREVIEW_CONCURRENCY: '1' });
    const storage = join(dataDir, 'images');
    const keyOf = (id: string) => `${id.slice(0, 2)}/${id}.jpg`;
    const real = randomUUID();
    mkdirSync(join(storage, real.slice(0, 2)), { recursive: true });
    writeFileSync(join(storage, keyOf(real)), SMALL);
    // A FIFO opened for reading holds the pool thread that opens it until a writer comes.
    const fifos = Array.from({ length: 6 }, () => {
      const id = randomUUID();
      mkdirSync(join(storage, id.slice(0, 2)), { recursive: true });
      execFileSync('mkfifo', [join(storage, keyOf(id))]);
      return join(storage, keyOf(id));
    });
    const hung = fifos.map((fifo) => fetch(`${server.baseUrl}/files/${fifo.slice(storage.length + 1)}`));
    try {
      const deadline = Date.now() + 30_000;
      while (threadsOpeningFifos(server.pid!) < fifos.length) {
        if (Date.now() > deadline)
          throw new Error(
            `only ${threadsOpeningFifos(server.pid!)} pool threads took the FIFO reads: the pool is smaller than 7`,
          );
        await sleep(50);
      }
      const { body } = await server.http
        .get(`/files/${keyOf(real)}`)
        .buffer(true)
        .expect(200);
      expect(Buffer.compare(body as Buffer, SMALL)).toBe(0);
    } finally {
      for (const fifo of fifos) {
        // A writer that comes and goes: the waiting open returns, the read sees the end (404: not a file).
        for (let opened = false; !opened;) {
          try {
            closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
            opened = true;
          } catch {
            await sleep(20); // its open has not reached the pool yet
          }
        }
      }
      await Promise.all(hung);
    }
  });

  it('while one client\u2019s AVIF images hold every image thread, another client\u2019s /files, upload and /health/ready are answered', async () => {
    // Four images in flight, one image thread: before the pool was sized and sharp's jobs bounded, the
    // four encodes took all four of libuv's threads and every file operation waited behind them.
    const server = await start({ IMAGE_THREADS: '1', CONCURRENCY: '4' });
    const bFirst = await upload(server, BOB, [`${images.baseUrl}/small.jpg?first`]);
    await waitForCompletion(server, BOB, bFirst, 60_000);
    const bOutput = new URL((await imagesOf(server, BOB, bFirst))[0].output_url).pathname;

    const heavy = await upload(
      server,
      ALICE,
      Array.from({ length: 4 }, (_, i) => `${images.baseUrl}/noisy.jpg?heavy=${i}`),
      { format: 'avif' },
    );
    // The noisy encodes are under way once the first image is processing.
    const deadline = Date.now() + 60_000;
    while (!(await imagesOf(server, ALICE, heavy)).some((image) => image.status === 'processing')) {
      if (Date.now() > deadline) throw new Error(`A's images never started:\n${server.output}`);
      await sleep(100);
    }

    await server.http.get(bOutput).expect(200);
    await server.http.get('/health/ready').expect(200);
    const bSecond = await upload(server, BOB, [`${images.baseUrl}/small.jpg?second`]);
    // Answered while A's encodes still run: its request is not complete (four noisy AVIF encodes, one at a time).
    expect(await statusOf(server, ALICE, heavy)).toMatchObject({ status: 'processing' });
    expect((await statusOf(server, BOB, bSecond)).status).toMatch(/processing|completed/);
  });

  it('an image past IMAGE_TIMEOUT_MS fails with image_timeout, and the next image is processed', async () => {
    // One image at a time: the small image starts only once the slow one has let go of its slot.
    const server = await start({ IMAGE_TIMEOUT_MS: '1000', IMAGE_THREADS: '1', CONCURRENCY: '1' });
    // quality=auto encodes the 100 MP PNG several times and compares each: seconds, where one encode
    // alone sometimes fits in the second.
    const requestId = await upload(
      server,
      ALICE,
      [`${images.baseUrl}/flat.png?slow`, `${images.baseUrl}/small.jpg?next`],
      { quality: 'auto' },
    );
    const status = await waitForCompletion(server, ALICE, requestId, 120_000);
    expect(status).toMatchObject({ processed_images: 2, failed_images: 1 });
    const [slow, next] = await imagesOf(server, ALICE, requestId).then((list) =>
      [...list].sort((a, b) => String(a.input_url).localeCompare(String(b.input_url))),
    );
    expect(slow).toMatchObject({
      status: 'failed',
      error_code: 'image_timeout',
      error: expect.stringContaining(
        'image_timeout: making the image web-ready took longer than IMAGE_TIMEOUT_MS (1000 ms)',
      ),
      error_explanation: expect.stringContaining('took longer than this service allows'),
    });
    expect(next).toMatchObject({ status: 'done', output_url: expect.stringContaining('/files/') });
  }, 180_000);

  it('8 flat 100 MP PNGs (the pixel limit) at the default output, and 3 with quality=auto, complete with the peak RSS under 1 GiB', async () => {
    // The default IMAGE_MEMORY_MB on this machine: each image's estimate is over it, so they run alone.
    const server = await start({});
    const flat = (tag: string, count: number) =>
      Array.from({ length: count }, (_, i) => `${images.baseUrl}/flat.png?${tag}=${i}`);
    const defaults = await upload(server, ALICE, flat('default', 8));
    const auto = await upload(server, BOB, flat('auto', 3), { quality: 'auto' });
    // The API answers meanwhile.
    await server.http.get('/health/ready').expect(200);
    expect(await waitForCompletion(server, ALICE, defaults, 600_000)).toMatchObject({
      processed_images: 8,
      failed_images: 0,
    });
    expect(await waitForCompletion(server, BOB, auto, 600_000)).toMatchObject({
      processed_images: 3,
      failed_images: 0,
    });
    expect(peakRssMiB(server.pid!)).toBeLessThan(1024);
  }, 1_300_000);
});
