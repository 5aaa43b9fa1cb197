/**
 * Phase 7 of `npm run bench`: how many image completions per second the queue sustains on PostgreSQL,
 * with 1, 2, 4 and 8 worker processes (bench/queue-worker.ts: the service's queue and ImageProcessor,
 * with download, pipeline and storage doing nothing). Per worker count, on a fresh database: the
 * workers start and go idle, the images are stored as an upload stores them (TasksService.create and
 * ProductWriter.writerFor, a few requests), the workers are woken (NOTIFY), and the clock runs
 * until every request has completed. CPU is read from /proc for the workers and for the PostgreSQL
 * backends serving this database.
 */
import { OPEN_OWNER } from '../src/access/owner.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { type AppConfig, loadConfig } from '../src/config/app-config.js';
import { standaloneDataSourceOptions } from '../src/standalone-data-source.js';
import { UnitOfWork } from '../src/database/unit-of-work.js';
import { ProductWriter } from '../src/images/product-writer.js';
import { PostgresWakeSignal } from '../src/images/queue/postgres-wake-signal.js';
import { QueueCounters } from '../src/tasks/queue-counters.js';
import { Task } from '../src/tasks/task.entity.js';
import { TasksService } from '../src/tasks/tasks.service.js';
import { PostgresDatabase } from '../test/helpers/postgres-database.js';
import { log, machineBusyMs, procCpuMs, round } from './measure.js';

const WORKER = resolve(import.meta.dirname, 'queue-worker.ts');

export interface QueueOptions {
  images: number;
  requests: number;
  workerCounts: number[];
  /** CONCURRENCY of each worker process (images in flight, so transactions at once). */
  concurrency: number;
  /** With --profile: each worker writes a CPU profile (node --cpu-prof) here when it exits. */
  profileDir?: string;
}

export interface QueueRun {
  workers: number;
  images: number;
  seconds: number;
  completionsPerSecond: number;
  /** Every image done exactly once (claimed once, counted once) and every request completed. */
  exact: boolean;
  /** CPU time per completion, ms: the worker processes, and PostgreSQL's backends for this database. */
  workerCpuMsPerCompletion: number;
  postgresCpuMsPerCompletion: number;
  /** Statements the workers sent PostgreSQL per completion (BEGIN and COMMIT included; their idle polls too). */
  statementsPerCompletion: number;
  /** Cores busy on average: workers, PostgreSQL backends, everything else on the machine. */
  workerCores: number;
  postgresCores: number;
  otherCores: number;
}

export type QueueResult = { skipped: string } | { options: QueueOptions; runs: QueueRun[] };

/** Whether TEST_DATABASE_URL names a PostgreSQL server we can create databases on: undefined if so, else why not. */
export async function postgresUnavailable(): Promise<string | undefined> {
  if (!process.env.TEST_DATABASE_URL)
    return 'TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)';
  try {
    await (await PostgresDatabase.create()).drop();
    return undefined;
  } catch (error) {
    return `PostgreSQL at TEST_DATABASE_URL is not reachable (${(error as Error).message})`;
  }
}

/** Worker processes (bench/queue-worker.ts) and, once stopped, how long their claims took. */
export class Workers {
  /** Per claim: its statements, and (PostgreSQL) the whole, connection taken to released, ms. */
  readonly claimMs = { statements: [] as number[], whole: [] as number[] };
  /** Statements sent to PostgreSQL by the workers stopped so far (each reports its count as it exits). */
  statements = 0;

  private constructor(readonly children: ChildProcess[]) {
    for (const child of children) {
      let pending = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith('statements ')) this.statements += Number(line.slice('statements '.length));
          if (!line.startsWith('claim-ms ')) continue;
          const timings = JSON.parse(line.slice('claim-ms '.length)) as typeof this.claimMs;
          this.claimMs.statements.push(...timings.statements);
          this.claimMs.whole.push(...timings.whole);
        }
      });
    }
  }

  static async start(count: number, env: NodeJS.ProcessEnv, profileDir?: string): Promise<Workers> {
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const children = Array.from({ length: count }, () =>
      spawn(process.execPath, [...profile, '--import', 'tsx', WORKER], {
        cwd: resolve(import.meta.dirname, '..'),
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const workers = new Workers(children);
    try {
      await Promise.all(children.map((child) => workers.ready(child)));
    } catch (error) {
      workers.kill();
      throw error;
    }
    return workers;
  }

  private ready(child: ChildProcess): Promise<void> {
    return new Promise((done, fail) => {
      let output = '';
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-4000);
        if (/^ready$/m.test(output)) done();
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      child.once('exit', (code) => fail(new Error(`queue worker exited (code ${code}):\n${output}`)));
      setTimeout(() => fail(new Error(`queue worker not ready after 180 s:\n${output}`)), 180_000).unref();
    });
  }

  cpuMs(): number {
    return this.children.reduce((sum, child) => sum + (procCpuMs(child.pid!) ?? 0), 0);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        // 'close': its output read to the end (the counts it prints as it exits), not only its exit.
        const exited = new Promise((done) => child.once('close', done));
        child.kill('SIGTERM');
        if ((await Promise.race([exited, sleep(10_000, 'timeout', { ref: false })])) === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      }),
    );
  }

  kill(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}

/** CPU time (ms) of each PostgreSQL backend connected to `database`, by pid. */
export async function backendCpuMs(dataSource: DataSource, database: string): Promise<Map<number, number>> {
  const rows: Array<{ pid: number }> = await dataSource.query(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1',
    [database],
  );
  return new Map(rows.map(({ pid }) => [pid, procCpuMs(pid) ?? 0]));
}

/** Stores `images` queued images in `requests` requests, as an upload stores them. */
async function seed(dataSource: DataSource, config: AppConfig, images: number, requests: number) {
  const unitOfWork = new UnitOfWork(dataSource);
  const counters = new QueueCounters(config, dataSource);
  const tasks = new TasksService(dataSource.getRepository(Task), counters);
  const productWriter = new ProductWriter();
  for (let request = 0; request < requests; request++) {
    const count = Math.floor(images / requests) + (request < images % requests ? 1 : 0);
    const id = randomUUID();
    const write = productWriter.writerFor(id);
    await unitOfWork.run(async (tx) => {
      await tasks.create(tx, {
        id,
        owner: OPEN_OWNER,
        totalImages: count,
        webhookUrl: 'http://127.0.0.1:9/hook',
        csvHeaders: ['S. No.', 'Product Name', 'Input Image Urls'],
        idempotencyKey: null,
        contentHash: id,
        outputOptions: config.output.defaults,
      });
      await write(
        tx,
        Array.from({ length: count }, (_, row) => ({
          rowNumber: row + 2,
          serialNumber: String(row + 1),
          productName: `Product ${row + 1}`,
          cells: [String(row + 1), `Product ${row + 1}`, ''],
          urls: [`http://127.0.0.1:9/${id}/${row}.jpg`],
        })),
      );
      const task = {
        id,
        queueOwner: OPEN_OWNER,
        createdAt: Date.now(),
        outputOptions: config.output.defaults,
      };
      await counters.queued(tx, task, write.queuedImages());
    });
  }
}

async function measure(workerCount: number, options: QueueOptions): Promise<QueueRun> {
  const database = await PostgresDatabase.create();
  const env = { ...process.env, DATABASE_URL: database.url, CONCURRENCY: String(options.concurrency) };
  const config = loadConfig({ ...env, DATA_DIR: '/nonexistent' });
  const dataSource = await new DataSource(standaloneDataSourceOptions(config)).initialize();
  let workers: Workers | undefined;
  try {
    workers = await Workers.start(workerCount, env, options.profileDir);
    await seed(dataSource, config, options.images, options.requests);
    const backendsBefore = await backendCpuMs(dataSource, database.name);
    const workersBefore = workers.cpuMs();
    const machineBefore = machineBusyMs();
    const benchBefore = process.cpuUsage();
    const start = performance.now();
    await new PostgresWakeSignal(dataSource, config).notify();
    const deadline = start + 120_000 + options.images * 10;
    for (;;) {
      const [{ done }] = await dataSource.query(
        'SELECT COALESCE(SUM(processed_images), 0)::int AS done FROM tasks',
      );
      if (done >= options.images) break;
      if (performance.now() > deadline)
        throw new Error(`queue phase: ${done} of ${options.images} images done after the deadline`);
      await sleep(20);
    }
    const seconds = (performance.now() - start) / 1000;
    const backendsAfter = await backendCpuMs(dataSource, database.name);
    const workerMs = workers.cpuMs() - workersBefore;
    const machineMs = machineBusyMs() - machineBefore;
    const bench = process.cpuUsage(benchBefore);
    let postgresMs = 0;
    for (const [pid, ms] of backendsAfter) postgresMs += ms - (backendsBefore.get(pid) ?? 0);
    const [check] = await dataSource.query(
      `SELECT (SELECT COUNT(*) FROM images WHERE status = 'done')::int AS done,
              (SELECT COALESCE(SUM(attempts), 0) FROM images)::int AS attempts,
              (SELECT COUNT(*) FROM tasks WHERE status = 'completed')::int AS completed`,
    );
    const otherMs = machineMs - workerMs - postgresMs - (bench.user + bench.system) / 1000;
    await workers.stop();
    return {
      workers: workerCount,
      images: options.images,
      seconds: round(seconds, 2),
      completionsPerSecond: Math.round(options.images / seconds),
      exact:
        check.done === options.images &&
        check.attempts === options.images &&
        check.completed === options.requests,
      workerCpuMsPerCompletion: round(workerMs / options.images, 3),
      postgresCpuMsPerCompletion: round(postgresMs / options.images, 3),
      statementsPerCompletion: round(workers.statements / options.images, 2),
      workerCores: round(workerMs / 1000 / seconds, 2),
      postgresCores: round(postgresMs / 1000 / seconds, 2),
      otherCores: round(Math.max(0, otherMs) / 1000 / seconds, 2),
    };
  } finally {
    await workers?.stop();
    await dataSource.destroy();
    await database.drop();
  }
}

export async function queuePhase(options: QueueOptions): Promise<QueueResult> {
  const reason = await postgresUnavailable();
  if (reason) {
    log(`queue phase skipped: ${reason}`);
    return { skipped: reason };
  }
  const runs: QueueRun[] = [];
  for (const workers of options.workerCounts) {
    log(`queue: ${options.images} images, ${workers} worker process(es)`);
    const run = await measure(workers, options);
    log(
      `queue: ${workers} worker(s): ${run.completionsPerSecond} completions/s (${run.seconds} s); per completion: ${run.statementsPerCompletion} statements, CPU workers ${run.workerCpuMsPerCompletion} ms, PostgreSQL ${run.postgresCpuMsPerCompletion} ms${run.exact ? '' : ' NOT EXACT'}`,
    );
    runs.push(run);
  }
  return { options, runs };
}

/** Where PostgreSQL alone would saturate `cores` cores, from the best run's CPU per completion. */
export function postgresCeiling(runs: QueueRun[], cores: number): number | undefined {
  const perCompletion = Math.min(...runs.map((run) => run.postgresCpuMsPerCompletion).filter((ms) => ms > 0));
  return Number.isFinite(perCompletion) ? Math.round((cores * 1000) / perCompletion) : undefined;
}
