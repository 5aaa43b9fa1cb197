/**
 * Phase 10 of `npm run bench`: two clients with their own API keys share the workers. Client A uploads
 * 40 requests of 60 small images, then client B one request of 240. Measured, on the embedded default
 * and on PostgreSQL with 2 worker processes (ROLE=all, uploads to the first): B's share of the images
 * finished while both had work (polled: A through GET /requests, B through GET /status), and B's time
 * from its upload to its completion (the service's own created_at and completed_at). With claims fair
 * between owners, B gets about half of the throughput; with claims fair only between requests, B is
 * one request in 41 and waits for most of A's work.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { productCsv } from '../test/helpers/csv.js';
import { PostgresDatabase } from '../test/helpers/postgres-database.js';
import { log, round } from './measure.js';
import { postgresUnavailable } from './queue-phase.js';

/** A running service, as bench/run.ts starts it (embedded default on a temp DATA_DIR, plus `env`). */
interface LaunchedService {
  readonly base: string;
  stop(): Promise<void>;
}
export type LaunchService = (label: string, env: Record<string, string>) => Promise<LaunchedService>;

export interface TwoClientsOptions {
  /** Ten times fewer images (the CI variant). */
  quick: boolean;
  /** Worker processes on PostgreSQL (0 skips that run). */
  postgresWorkers: number;
}

/** Client A's requests and the images in each, and client B's one request. */
const sizes = (quick: boolean) => ({ aRequests: 40, aImages: quick ? 6 : 60, bImages: quick ? 24 : 240 });

interface TwoClientsRun {
  label: string;
  /** Images finished by each client from B's upload until one of them had finished everything. */
  aDoneMeanwhile: number;
  bDoneMeanwhile: number;
  /** B's share of those images: 0.5 is an even split; 1/(aRequests + 1) is "fair between requests". */
  bShare: number;
  /** From B's upload to its completion, by the service's clock. */
  bSeconds: number;
  /** A's images finished, of all of A's, at the first poll that found B completed. */
  aDoneWhenBCompleted: number;
  /** From A's first upload until both clients had finished. */
  totalSeconds: number;
}

export type TwoClientsResult = { runs: TwoClientsRun[]; skipped?: string };

const POLL_MS = 200;

interface Client {
  name: string;
  key: string;
}

async function call<T>(
  service: LaunchedService,
  client: Client,
  path: string,
  init?: RequestInit,
): Promise<T> {
  const res = await fetch(`${service.base}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${client.key}` },
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(
      `${client.name}: ${init?.method ?? 'GET'} ${path} answered ${res.status}: ${text.slice(0, 300)}`,
    );
  return JSON.parse(text) as T;
}

async function upload(service: LaunchedService, client: Client, urls: string[]): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([productCsv(urls)], { type: 'text/csv' }), `${client.name}.csv`);
  const accepted = await call<{ request_id: string }>(service, client, '/upload', {
    method: 'POST',
    body: form,
  });
  return accepted.request_id;
}

interface Summary {
  request_id: string;
  status: string;
  processed_images: number;
  created_at: string;
  completed_at: string | null;
}

/** A's images finished so far (its requests are on the first page: 40 of at most 100). */
async function aProgress(service: LaunchedService, a: Client): Promise<{ done: number; finished: boolean }> {
  const page = await call<{ requests: Summary[] }>(service, a, '/requests?limit=100');
  return {
    done: page.requests.reduce((sum, request) => sum + request.processed_images, 0),
    finished: page.requests.every((request) => request.status !== 'processing'),
  };
}

async function measure(
  label: string,
  service: LaunchedService,
  options: ReturnType<typeof sizes>,
  imageUrl: (tag: string) => string,
  clients: { a: Client; b: Client },
): Promise<TwoClientsRun> {
  const { a, b } = clients;
  const began = performance.now();
  for (let request = 0; request < options.aRequests; request++)
    await upload(
      service,
      a,
      Array.from({ length: options.aImages }, (_, i) => imageUrl(`a${request}-${i}`)),
    );
  const aStart = await aProgress(service, a);
  const bRequest = await upload(
    service,
    b,
    Array.from({ length: options.bImages }, (_, i) => imageUrl(`b-${i}`)),
  );
  let aNow = aStart;
  let bNow: Summary | undefined;
  let window: { a: number; b: number } | undefined;
  let aDoneAtB: number | undefined;
  const deadline = performance.now() + 600_000;
  for (;;) {
    [aNow, bNow] = await Promise.all([
      aProgress(service, a),
      call<Summary>(service, b, `/status/${bRequest}`),
    ]);
    const bFinished = bNow.status !== 'processing';
    // The window closes at the first poll that finds either client finished.
    window ??=
      aNow.finished || bFinished ? { a: aNow.done - aStart.done, b: bNow.processed_images } : undefined;
    if (bFinished) aDoneAtB ??= aNow.done;
    if (aNow.finished && bFinished) break;
    if (performance.now() > deadline) throw new Error(`${label}: not finished after 600 s`);
    await sleep(POLL_MS);
  }
  const aTotal = options.aRequests * options.aImages;
  const bCompleted = Date.parse(bNow.completed_at!);
  const run: TwoClientsRun = {
    label,
    aDoneMeanwhile: window!.a,
    bDoneMeanwhile: window!.b,
    bShare: round(window!.b / Math.max(1, window!.a + window!.b), 3),
    bSeconds: round((bCompleted - Date.parse(bNow.created_at)) / 1000, 2),
    aDoneWhenBCompleted: aDoneAtB!,
    totalSeconds: round((performance.now() - began) / 1000, 1),
  };
  log(
    `two clients (${label}): B's share ${run.bShare} (${run.bDoneMeanwhile} of B's, ${run.aDoneMeanwhile} of A's ${aTotal}), B completed in ${run.bSeconds} s`,
  );
  return run;
}

export async function twoClientsPhase(
  launch: LaunchService,
  imageUrl: (tag: string) => string,
  { quick, postgresWorkers }: TwoClientsOptions,
): Promise<TwoClientsResult> {
  const options = sizes(quick);
  const clients = {
    a: { name: 'client-a', key: randomBytes(24).toString('base64url') },
    b: { name: 'client-b', key: randomBytes(24).toString('base64url') },
  };
  const env = { API_KEYS: `${clients.a.name}:${clients.a.key},${clients.b.name}:${clients.b.key}` };
  const runs: TwoClientsRun[] = [];
  const embedded = await launch('two-clients', env);
  try {
    runs.push(await measure('embedded', embedded, options, (tag) => imageUrl(`embedded-${tag}`), clients));
  } finally {
    await embedded.stop();
  }
  if (postgresWorkers === 0) return { runs };
  const skipped = await postgresUnavailable();
  if (skipped) {
    log(`two clients on PostgreSQL skipped: ${skipped}`);
    return { runs, skipped };
  }
  const database = await PostgresDatabase.create();
  const services: LaunchedService[] = [];
  try {
    // One after another: the first one migrates the database.
    for (let i = 1; i <= postgresWorkers; i++)
      services.push(await launch(`two-clients-pg-${i}`, { ...env, DATABASE_URL: database.url }));
    runs.push(
      await measure(
        `PostgreSQL, ${postgresWorkers} workers`,
        services[0],
        options,
        (tag) => imageUrl(`pg-${tag}`),
        clients,
      ),
    );
  } finally {
    for (const service of services) await service.stop();
    await database.drop();
  }
  return { runs };
}

/** The phase's rows in the bench's targets table. */
export function twoClientsTargets(
  result: TwoClientsResult | undefined,
  minimumShare: number,
): Array<{ target: string; value: string; ok: boolean | undefined }> {
  return (result?.runs ?? []).map((run) => ({
    target: `two clients (${run.label}): B's share while both have work ≥ ${minimumShare}`,
    value: `${run.bShare} (B done in ${run.bSeconds} s)`,
    ok: run.bShare >= minimumShare,
  }));
}
