/**
 * `npx tsx bench/webhook-isolation.ts [path/to/dist/main.cjs]`: how long one client's webhook waits while
 * another client's receivers hang. Runs the built server (default: this checkout's dist/main.cjs) on a
 * temporary DATA_DIR with two API keys and the default webhook settings; everything is on loopback.
 *
 *   1. client A uploads 30 one-image requests, each to a receiver of its own (BENCH_A_RECEIVERS=1: all to
 *      one) that holds every webhook for 60 s, then answers 200;
 *   2. once A's requests are completed and its receiver has the first webhooks, client B uploads one request
 *      whose receiver answers at once;
 *   3. prints B's delay: from its request's completed_at to its webhook's arrival, and from its upload.
 *
 * Stops by itself within about two minutes. Timings on a shared machine are indicative.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { productCsv } from '../test/helpers/csv.js';
import { freePort, listenOnLoopback } from '../test/helpers/loopback-server.js';

const ROOT = resolve(import.meta.dirname, '..');
const MAIN = resolve(process.argv[2] ?? join(ROOT, 'dist/main.cjs'));
const ALICE = 'alice-0123456789abcdefghijklmnop';
const BOB = 'bob-0123456789abcdefghijklmnopqrs';
const A_REQUESTS = 30;
const A_RECEIVERS = Number(process.env.BENCH_A_RECEIVERS ?? A_REQUESTS);
const HOLD_MS = 60_000;
const DEADLINE = Date.now() + 150_000;

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > DEADLINE) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

const gif = readFileSync(join(ROOT, 'test/fixtures/images/animated.gif'));
const images = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'image/gif' }).end(gif));
let aReceived = 0;
const held = new Set<NodeJS.Timeout>();
const slow = Array.from({ length: A_RECEIVERS }, () =>
  createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      aReceived++;
      const timer = setTimeout(() => res.writeHead(200).end(), HOLD_MS);
      held.add(timer);
    });
  }),
);
let bArrivedAt: number | undefined;
const prompt = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    bArrivedAt ??= Date.now();
    res.writeHead(200).end();
  });
});

const { base: imagesUrl } = await listenOnLoopback(images);
const slowUrls = await Promise.all(slow.map(async (server) => (await listenOnLoopback(server)).base));
const { base: promptUrl } = await listenOnLoopback(prompt);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), 'pixelmill-webhook-isolation-'));
const child = spawn(process.execPath, [MAIN], {
  cwd: resolve(MAIN, '../..'),
  env: {
    PATH: process.env.PATH ?? '',
    PORT: String(port),
    DATA_DIR: dataDir,
    PUBLIC_URL: base,
    ALLOW_PRIVATE_URLS: 'true',
    API_KEYS: `alice:${ALICE},bob:${BOB}`,
    RATE_LIMIT_UPLOADS_PER_MIN: '0',
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});

async function call(key: string, path: string, init: RequestInit = {}): Promise<Record<string, any>> {
  const response = await fetch(`${base}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${key}` },
  });
  return (await response.json()) as Record<string, any>;
}

async function upload(key: string, webhookUrl: string): Promise<string> {
  const form = new FormData();
  form.set('webhook_url', webhookUrl);
  const csv = productCsv([`${imagesUrl}/a.gif?${randomUUID()}`]);
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'products.csv');
  return (await call(key, '/upload', { method: 'POST', body: form })).request_id as string;
}

const completed = (key: string, id: string) =>
  until(`request ${id}`, async () => {
    const status = await call(key, `/status/${id}`);
    return status.status === 'processing' ? undefined : status;
  });

try {
  await until('the server', () =>
    fetch(`${base}/health/live`).then(
      (response) => (response.ok ? true : undefined),
      () => undefined,
    ),
  );
  const aIds: string[] = [];
  for (let i = 0; i < A_REQUESTS; i++) aIds.push(await upload(ALICE, `${slowUrls[i % A_RECEIVERS]}/hook`));
  for (const id of aIds) await completed(ALICE, id);
  await until("A's first webhooks", () => (aReceived > 0 ? true : undefined));
  const aInFlight = aReceived;

  const uploadedAt = Date.now();
  const bId = await upload(BOB, `${promptUrl}/hook`);
  const status = await completed(BOB, bId);
  const arrivedAt = await until("B's webhook", () => bArrivedAt);
  const completedAt = Date.parse(status.completed_at as string);
  console.log(`server: ${MAIN}; A's receivers: ${A_RECEIVERS}`);
  console.log(`A's webhooks received (all held ${HOLD_MS / 1000} s) when B uploaded: ${aInFlight}`);
  console.log(`B's webhook after its completion: ${arrivedAt - completedAt} ms`);
  console.log(`B's webhook after its upload:     ${arrivedAt - uploadedAt} ms`);
  console.log(`A's webhooks received by then:    ${aReceived} (none answered yet)`);
} finally {
  child.kill('SIGKILL');
  for (const timer of held) clearTimeout(timer);
  for (const server of [images, ...slow, prompt]) {
    server.closeAllConnections();
    server.close();
  }
  rmSync(dataDir, { recursive: true, force: true });
}
