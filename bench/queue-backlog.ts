/**
 * The queue phase with a large backlog: what a claim costs and how many completions per second the
 * queue sustains when BENCH_QUEUE_BACKLOG images (1,000,000) wait in 10,000 requests of 100 owners.
 * The backlog is written in bulk by SQL (tasks, images, and the queue's summary as an upload leaves
 * it), then worker processes (bench/queue-worker.ts: the service's queue and recording path, with a
 * processor that does nothing) run for BENCH_QUEUE_BACKLOG_SECONDS: on PostgreSQL 4 of them, on a
 * SQLite file one (the embedded default is one process). Reported: completions per second over that
 * window, each claim's duration (its statements; on PostgreSQL also the whole, connection to release),
 * whether every image done was claimed once and the summary agrees with the images, and on PostgreSQL
 * the claim's statements' plans at the full backlog (auto_explain, in a claim rolled back).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { type AppConfig, loadConfig } from '../src/config/app-config.js';
import { standaloneDataSourceOptions } from '../src/standalone-data-source.js';
import { UnitOfWork } from '../src/database/unit-of-work.js';
import { LeaseStore } from '../src/images/queue/lease-store.js';
import { QueueCounters } from '../src/tasks/queue-counters.js';
import { PostgresDatabase } from '../test/helpers/postgres-database.js';
import { QUEUE_SUMMARY_MISMATCHES } from '../test/helpers/queue-summary.js';
import { log, machineBusyMs, round } from './measure.js';
import { backendCpuMs, postgresUnavailable, Workers } from './queue-phase.js';

export interface BacklogOptions {
  images: number;
  requests: number;
  owners: number;
  postgresWorkers: number;
  /** CONCURRENCY of each worker process. */
  concurrency: number;
  seconds: number;
}

interface Latency {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface BacklogRun {
  database: 'PostgreSQL' | 'SQLite';
  workers: number;
  queued: number;
  seedSeconds: number;
  completions: number;
  completionsPerSecond: number;
  /** CPU time per completion over the window, ms: the worker processes, and (PostgreSQL) its backends. */
  workerCpuMsPerCompletion: number;
  postgresCpuMsPerCompletion?: number;
  /** PostgreSQL's write-ahead log per completion: the rows and index entries written, which noise does not move. */
  walBytesPerCompletion?: number;
  /** Cores busy on average over the window, by everything on the machine (it is shared). */
  machineCores: number;
  /**
   * 500 claims of 2 × CONCURRENCY by this bench alone, once the workers have stopped, each given back
   * at once: the claim's own latency at the backlog, without the workers' contention for the cores.
   */
  claimAlone: Latency;
  /** Each claim's statements in the workers; on PostgreSQL also the whole claim, connection taken to released. */
  claimStatements: Latency;
  claimWhole?: Latency;
  /** Every image done was claimed once, the requests count them all, and the summary agrees with the images. */
  exact: boolean;
  mismatches: string[];
  /** PostgreSQL: auto_explain's plan of each of the claim's statements, at the full backlog. */
  plans?: string[];
}

export type BacklogResult = { skipped: string } | { options: BacklogOptions; runs: BacklogRun[] };

const percentile = (sorted: number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

function latency(values: number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: round(percentile(sorted, 0.5)),
    p99Ms: round(percentile(sorted, 0.99)),
    maxMs: round(sorted[sorted.length - 1] ?? NaN),
  };
}

/**
 * Writes the backlog in a few statements: request r (1…requests) belongs to owner r mod owners and
 * has images/requests images, all queued and due; the queue's summary counts them as uploads would.
 */
async function seed(dataSource: DataSource, config: AppConfig, options: BacklogOptions): Promise<void> {
  const perRequest = Math.floor(options.images / options.requests);
  const now = Date.now();
  const postgres = config.database.isPostgres;
  // Numbers 1…n: generate_series on PostgreSQL, a recursive CTE on SQLite.
  const series = (name: string, n: number) =>
    postgres
      ? `generate_series(1, ${n}) AS ${name}(x)`
      : `(WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < ${n}) SELECT x FROM s) AS ${name}`;
  const pad = (value: string, width: number) =>
    postgres ? `lpad(${value}::text, ${width}, '0')` : `printf('%0${width}d', ${value})`;
  const taskId = (r: string) => `${pad(r, 8)} || '-0000-4000-8000-000000000000'`;
  await dataSource.transaction(async (manager) => {
    await manager.query(
      `INSERT INTO tasks (id, status, total_images, processed_images, failed_images, webhook_url, csv_headers, owner,
                          content_hash, created_at)
       SELECT ${taskId('r.x')}, 'processing', ${perRequest}, 0, 0, 'http://127.0.0.1:9/hook', '[]',
              'owner-' || (r.x % ${options.owners}), 'backlog', ${now} + r.x
         FROM ${series('r', options.requests)}`,
    );
    await manager.query(
      `INSERT INTO images (id, task_id, row_number, position, input_url, status, attempts, lease_expiries, available_at)
       SELECT ${pad('r.x', 8)} || '-' || ${pad('i.x', 4)} || '-4000-8000-000000000000', ${taskId('r.x')}, i.x + 1, 0,
              'http://127.0.0.1:9/' || r.x || '/' || i.x || '.jpg', 'queued', 0, 0, ${now}
         FROM ${series('r', options.requests)}, ${series('i', perRequest)}`,
    );
    await manager.query(
      `INSERT INTO queue_tasks (task_id, owner, created_at, cost, queued_images, in_flight_images, in_flight_cost)
       SELECT id, owner, created_at, 1, total_images, 0, 0 FROM tasks`,
    );
    await manager.query(
      `INSERT INTO queue_owners (owner, weight, queued_images, in_flight_cost, claimed_at)
       SELECT owner, 1, SUM(queued_images), 0, 0 FROM queue_tasks GROUP BY owner`,
    );
  });
  // As autovacuum would (it is off on some servers): statistics for the planner, a visibility map. On
  // SQLite, as the service's checkpointer would: the seed's write-ahead log copied into the file.
  await dataSource.query(postgres ? 'VACUUM ANALYZE' : 'PRAGMA wal_checkpoint(TRUNCATE)');
}

/** PostgreSQL: one claim of `limit` with auto_explain at NOTICE level, rolled back; its statements' plans. */
async function claimPlans(dataSource: DataSource, config: AppConfig, limit: number): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const client = (runner as unknown as { databaseConnection: pg.PoolClient }).databaseConnection;
  const plans: string[] = [];
  const onNotice = (notice: { message?: string }) => plans.push(notice.message ?? '');
  client.on('notice', onNotice);
  try {
    await runner.query("LOAD 'auto_explain'");
    for (const setting of [
      'log_min_duration = 0',
      'log_analyze = on',
      'log_buffers = on',
      "log_level = 'notice'",
    ])
      await runner.query(`SET auto_explain.${setting}`);
    await runner.startTransaction();
    const leases = new LeaseStore(config, new QueueCounters(config, dataSource));
    await leases.claim({ manager: runner.manager, afterCommit: () => undefined }, limit);
    await runner.rollbackTransaction();
    await runner.query('SET auto_explain.log_min_duration = -1');
  } finally {
    client.off('notice', onNotice);
    await runner.release();
  }
  return plans;
}

/** `count` claims of `limit` one after another, each given back at once (release); their durations. */
async function claimsAlone(
  dataSource: DataSource,
  config: AppConfig,
  limit: number,
  count: number,
): Promise<number[]> {
  const unitOfWork = new UnitOfWork(dataSource);
  const leases = new LeaseStore(config, new QueueCounters(config, dataSource));
  const durations: number[] = [];
  for (let claim = 0; claim < count; claim++) {
    const start = performance.now();
    const claimed = await unitOfWork.runStatements((tx) => leases.claim(tx, limit));
    durations.push(performance.now() - start);
    await unitOfWork.run((tx) =>
      leases.release(
        tx,
        claimed.map((image) => image.id),
      ),
    );
  }
  return durations;
}

async function done(dataSource: DataSource): Promise<number> {
  const [{ done }] = await dataSource.query('SELECT COALESCE(SUM(processed_images), 0) AS done FROM tasks');
  return Number(done);
}

async function measure(
  database: BacklogRun['database'],
  databaseUrl: string,
  workerCount: number,
  options: BacklogOptions,
): Promise<BacklogRun> {
  const env = { ...process.env, DATABASE_URL: databaseUrl, CONCURRENCY: String(options.concurrency) };
  const config = loadConfig({ ...env, DATA_DIR: tmpdir() });
  const dataSource = await new DataSource(standaloneDataSourceOptions(config)).initialize();
  let workers: Workers | undefined;
  try {
    const seedStart = performance.now();
    await seed(dataSource, config, options);
    const seedSeconds = round((performance.now() - seedStart) / 1000, 1);
    log(`queue backlog (${database}): ${options.images} images seeded in ${seedSeconds} s`);
    const plans = config.database.isPostgres
      ? await claimPlans(dataSource, config, 2 * options.concurrency)
      : undefined;
    workers = await Workers.start(workerCount, env);
    const postgresCpu = () =>
      config.database.isPostgres
        ? backendCpuMs(dataSource, new URL(databaseUrl).pathname.slice(1))
        : new Map<number, number>();
    const walPosition = async () =>
      config.database.isPostgres
        ? String((await dataSource.query('SELECT pg_current_wal_lsn() AS lsn'))[0].lsn)
        : undefined;
    const cpuBefore = { workers: workers.cpuMs(), postgres: await postgresCpu(), machine: machineBusyMs() };
    const walBefore = await walPosition();
    const before = await done(dataSource);
    const start = performance.now();
    await sleep(options.seconds * 1000);
    const completions = (await done(dataSource)) - before;
    const walAfter = await walPosition();
    const seconds = (performance.now() - start) / 1000;
    const workerMs = workers.cpuMs() - cpuBefore.workers;
    let postgresMs = 0;
    for (const [pid, ms] of await postgresCpu()) postgresMs += ms - (cpuBefore.postgres.get(pid) ?? 0);
    const machineMs = machineBusyMs() - cpuBefore.machine;
    const walBytes =
      walBefore === undefined
        ? undefined
        : Number(
            (await dataSource.query('SELECT pg_wal_lsn_diff($1, $2) AS bytes', [walAfter, walBefore]))[0]
              .bytes,
          );
    await workers.stop();
    // After the window (a released image counts its attempt: it would look claimed twice if done later).
    const claimAlone = latency(await claimsAlone(dataSource, config, 2 * options.concurrency, 500));
    const mismatches = (await dataSource.query(QUEUE_SUMMARY_MISMATCHES)).map(
      (row: { mismatch: string }) => row.mismatch,
    );
    const [check] = await dataSource.query(
      `SELECT (SELECT COUNT(*) FROM images WHERE status = 'done') AS done,
              (SELECT COUNT(*) FROM images WHERE status = 'done' AND attempts <> 1) AS again,
              (SELECT COALESCE(SUM(processed_images), 0) FROM tasks) AS counted`,
    );
    const run: BacklogRun = {
      database,
      workers: workerCount,
      queued: options.images,
      seedSeconds,
      completions,
      completionsPerSecond: Math.round(completions / seconds),
      workerCpuMsPerCompletion: round(workerMs / completions, 3),
      ...(config.database.isPostgres && { postgresCpuMsPerCompletion: round(postgresMs / completions, 3) }),
      ...(walBytes !== undefined && { walBytesPerCompletion: Math.round(walBytes / completions) }),
      machineCores: round(machineMs / 1000 / seconds, 2),
      claimAlone,
      claimStatements: latency(workers.claimMs.statements),
      ...(config.database.isPostgres && { claimWhole: latency(workers.claimMs.whole) }),
      exact:
        mismatches.length === 0 && Number(check.again) === 0 && Number(check.done) === Number(check.counted),
      mismatches: mismatches.slice(0, 10),
      plans,
    };
    log(
      `queue backlog (${database}): claims alone p50 ${run.claimAlone.p50Ms} ms, p99 ${run.claimAlone.p99Ms} ms; ${workerCount} worker(s): ${run.completionsPerSecond} completions/s (CPU per completion: workers ${run.workerCpuMsPerCompletion} ms${run.postgresCpuMsPerCompletion === undefined ? '' : `, PostgreSQL ${run.postgresCpuMsPerCompletion} ms, ${run.walBytesPerCompletion} WAL bytes`}; the machine's cores busy: ${run.machineCores}); claim p50 ${run.claimStatements.p50Ms} ms, p99 ${run.claimStatements.p99Ms} ms${run.claimWhole ? ` (whole p99 ${run.claimWhole.p99Ms} ms)` : ''}${run.exact ? '' : ' NOT EXACT'}`,
    );
    return run;
  } finally {
    workers?.kill();
    await dataSource.destroy();
  }
}

export async function backlogPhase(options: BacklogOptions): Promise<BacklogResult> {
  const runs: BacklogRun[] = [];
  const reason = await postgresUnavailable();
  if (reason) log(`queue backlog on PostgreSQL skipped: ${reason}`);
  else {
    const database = await PostgresDatabase.create();
    try {
      runs.push(await measure('PostgreSQL', database.url, options.postgresWorkers, options));
    } finally {
      await database.drop();
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'pixelmill-bench-backlog-'));
  try {
    runs.push(await measure('SQLite', `sqlite://${join(dir, 'pixelmill.sqlite')}`, 1, options));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { options, runs };
}

/** The backlog's rows in the bench's targets table. */
export function backlogTargets(
  result: BacklogResult | undefined,
): Array<{ target: string; value: string; ok: boolean | undefined }> {
  if (!result || 'skipped' in result) return [];
  return result.runs.flatMap((run) => {
    const claimTarget = run.database === 'PostgreSQL' ? 20 : 5;
    const at = `${run.queued.toLocaleString('en')} queued, ${run.database}`;
    return [
      {
        target: `claim p99 < ${claimTarget} ms at ${at}`,
        value: `${run.claimAlone.p99Ms} ms alone; ${run.claimStatements.p99Ms} ms beside ${run.workers} busy worker(s)`,
        ok: run.claimAlone.p99Ms < claimTarget && run.exact,
      },
      ...(run.database === 'PostgreSQL'
        ? [
            {
              target: `queue ≥ 2000 completions/s at ${at}, ${run.workers} workers`,
              value: `${run.completionsPerSecond}/s${run.exact ? '' : ' (not exact)'}`,
              ok: run.completionsPerSecond >= 2000 && run.exact,
            },
          ]
        : []),
    ];
  });
}
