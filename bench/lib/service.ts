import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { sizeThreadPool } from '../../src/config/thread-pool.cjs';
import { freePort } from '../../test/helpers/loopback-server.js';
import { ServerProcess } from '../../test/helpers/server-process.js';
import { postUpload } from '../../test/helpers/upload.js';
import { log, procStatus, round } from '../measure.js';
import { PROFILE, ROOT } from './options.js';
import { makeTempDir } from './temp-dirs.js';

export interface StatusBody {
  request_id: string;
  status: string;
  total_images: number;
  processed_images: number;
  failed_images: number;
  created_at: string;
  completed_at: string | null;
}

interface LoopDelay {
  maxMs: number;
  p99Ms: number;
}

const WARNING = /\bWARN\b|\bERROR\b/;

/**
 * The built service (ServerProcess) on a temp DATA_DIR as the bench runs it: its RSS sampled every
 * 50 ms by phase, its log kept for the report and for crash messages, and (over IPC) the CPU
 * profiler of bench/child-probe.mjs and the event-loop probe of bench/loop-probe.mjs.
 */
export class Service {
  private phase = 'startup';
  readonly phasePeakKiB = new Map<string, number>();
  readonly samples: Array<{ t: number; rssKiB: number; phase: string }> = [];
  private sampler?: NodeJS.Timeout;
  private readonly startedAt = performance.now();
  private probeSeq = 0;
  private readonly probeWaiters = new Map<number, (error?: string) => void>();
  private readonly loopWaiters = new Map<number, (delay: LoopDelay) => void>();

  private constructor(
    readonly label: string,
    private readonly server: ServerProcess,
    readonly pid: number,
    readonly dataDir: string,
  ) {}

  /**
   * `env` is added to the service's environment (e.g. raised limits); `loopProbe` preloads
   * bench/loop-probe.mjs, which measures the event loop's longest stall (see `loopDelay`).
   */
  static async start(
    label: string,
    options: { env?: Record<string, string>; loopProbe?: boolean } = {},
  ): Promise<Service> {
    const dataDir = makeTempDir(label);
    const port = await freePort();
    const preload = (file: string) => ['--import', pathToFileURL(join(ROOT, 'bench', file)).href];
    const nodeArgs = [
      ...(PROFILE ? preload('child-probe.mjs') : []),
      ...(options.loopProbe ? preload('loop-probe.mjs') : []),
    ];
    // The embedded default on a temp DATA_DIR, whatever DATABASE_URL / STORAGE_DIR the shell has.
    const { DATABASE_URL: _database, STORAGE_DIR: _storage, ...inherited } = process.env;
    const env: Record<string, string | undefined> = {
      // As `npm run start:prod` runs it: glibc's per-thread malloc arenas cost ~70 MiB of RSS under sharp.
      MALLOC_ARENA_MAX: '2',
      ...inherited,
      DATA_DIR: dataDir,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ALLOW_PRIVATE_URLS: 'true',
      RATE_LIMIT_UPLOADS_PER_MIN: '0', // the bench measures the service, not its quotas
      SHUTDOWN_GRACE_MS: '2000',
      NO_COLOR: '1',
      ...options.env,
    };
    // A preload (--import) starts libuv's pool before the entry point could size it: sized here instead.
    sizeThreadPool(env);
    const defined = Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined);
    const server = new ServerProcess(Object.fromEntries(defined), port, undefined, {
      nodeArgs,
      ipc: PROFILE || options.loopProbe,
    });
    await server.start();
    const service = new Service(label, server, server.pid!, dataDir);
    server.process!.on('message', (message: { probe?: string; loop?: string; id?: number; error?: string }) =>
      service.answered(message),
    );
    service.sampler = setInterval(() => service.sample(), 50);
    service.sampler.unref();
    return service;
  }

  get base(): string {
    return this.server.baseUrl;
  }

  get exited(): boolean {
    return this.server.process === undefined;
  }

  private get logLines(): string[] {
    return (this.server.runs.at(-1) ?? '').split('\n').filter((line) => line.trim() !== '');
  }

  /** The log lines at WARN or ERROR level. */
  get warnings(): string[] {
    return this.logLines.filter((line) => WARNING.test(line));
  }

  crash(message: string): Error {
    return new Error(
      `${this.label}: ${message}\n--- last lines of the service log ---\n${this.logLines.slice(-60).join('\n')}`,
    );
  }

  /** Later samples count towards `phase` (take a sample first to close the previous one exactly). */
  setPhase(phase: string): void {
    this.phase = phase;
    this.sample();
  }

  sample(): { rssKiB: number; hwmKiB: number } | undefined {
    if (this.exited) return undefined;
    const status = procStatus(this.pid);
    if (!status) return undefined;
    this.phasePeakKiB.set(this.phase, Math.max(this.phasePeakKiB.get(this.phase) ?? 0, status.rssKiB));
    this.samples.push({
      t: round((performance.now() - this.startedAt) / 1000, 2),
      rssKiB: status.rssKiB,
      phase: this.phase,
    });
    return status;
  }

  peakMiB(phase: string): number {
    return round((this.phasePeakKiB.get(phase) ?? NaN) / 1024, 1);
  }

  hwmMiB(): number {
    return round((procStatus(this.pid)?.hwmKiB ?? NaN) / 1024, 1);
  }

  private answered(message: { probe?: string; loop?: string; id?: number; error?: string }): void {
    if (message?.probe === 'ack' && message.id !== undefined) {
      this.probeWaiters.get(message.id)?.(message.error);
      this.probeWaiters.delete(message.id);
    }
    if (message?.loop === 'ack' && message.id !== undefined) {
      this.loopWaiters.get(message.id)?.(message as unknown as LoopDelay);
      this.loopWaiters.delete(message.id);
    }
  }

  /** Sends a command to bench/child-probe.mjs (only with --profile) and waits for its answer. */
  async probe(command: { probe: 'start' } | { probe: 'stop'; file: string }): Promise<void> {
    if (!PROFILE) return;
    const id = ++this.probeSeq;
    const answered = new Promise<string | undefined>((done) => this.probeWaiters.set(id, done));
    this.server.process!.send({ ...command, id });
    const error = await Promise.race([answered, sleep(120_000, 'timeout', { ref: false })]);
    if (error) throw this.crash(`profiler ${command.probe} failed: ${error}`);
  }

  /** With `loopProbe`: `reset` starts measuring the event loop's delay; `read` answers it since. */
  async loopDelay(command: 'reset' | 'read'): Promise<LoopDelay> {
    const id = ++this.probeSeq;
    const answered = new Promise<LoopDelay>((done) => this.loopWaiters.set(id, done));
    this.server.process!.send({ loop: command, id });
    const delay = await Promise.race([answered, sleep(30_000, undefined, { ref: false })]);
    if (!delay) throw this.crash(`the loop probe did not answer ${command}`);
    return delay;
  }

  /**
   * POSTs a CSV and answers whatever the service says. Through supertest, not fetch: fetch gives up
   * after 5 minutes without response headers, and the 49 MiB URL-heavy upload took longer on a
   * machine loaded by other work.
   */
  async post(
    csv: string,
    name: string,
    fields: Record<string, string> = {},
  ): Promise<{ ms: number; status: number; text: string }> {
    const start = performance.now();
    const res = await postUpload(this.server.http, csv, { fileName: name, fields }).ok(() => true);
    return { ms: performance.now() - start, status: res.status, text: res.text };
  }

  /** POSTs a CSV that must be accepted (202). */
  async upload(
    csv: string,
    name: string,
    fields: Record<string, string> = {},
  ): Promise<{ ms: number; body: { request_id: string; total_images: number } }> {
    const { ms, status, text } = await this.post(csv, name, fields);
    if (status !== 202) throw this.crash(`POST /upload answered ${status}: ${text.slice(0, 500)}`);
    return { ms, body: JSON.parse(text) };
  }

  async status(requestId: string): Promise<{ ms: number; body: StatusBody }> {
    const start = performance.now();
    const res = await fetch(`${this.base}/status/${requestId}`);
    const text = await res.text();
    const ms = performance.now() - start;
    if (res.status !== 200) throw this.crash(`GET /status answered ${res.status}: ${text.slice(0, 500)}`);
    return { ms, body: JSON.parse(text) };
  }

  /** Polls GET /status every `pollMs` until the request is no longer processing; `onPoll` sees each answer. */
  async completion(
    requestId: string,
    timeoutMs: number,
    onPoll?: (body: StatusBody) => void,
    pollMs = 150,
  ): Promise<{ body: StatusBody; at: number }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.exited) throw this.crash('the service exited while processing');
      const { body } = await this.status(requestId);
      onPoll?.(body);
      if (body.status !== 'processing') return { body, at: performance.now() };
      if (performance.now() > deadline)
        throw this.crash(
          `request ${requestId} still processing after ${Math.round(timeoutMs / 1000)} s: ${JSON.stringify(body)}`,
        );
      await sleep(pollMs);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    const exited = this.server.kill('SIGTERM');
    if (
      (await Promise.race([exited.then(() => 'exited'), sleep(10_000, 'timeout', { ref: false })])) ===
      'timeout'
    ) {
      log(`${this.label}: no exit 10 s after SIGTERM, killing`);
      await this.server.kill('SIGKILL');
    }
  }
}
