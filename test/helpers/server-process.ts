import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import request from 'supertest';

const ROOT = resolve(import.meta.dirname, '../..');
export const BUILT_MAIN = join(ROOT, 'dist/main.cjs');

/** Every child still running, killed when the test worker exits whatever happened. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function newestSourceChange(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Fails when there is no build, warns when src/ changed after it (run `npx nest build`; `npm test` does it first). */
export function requireBuild(): void {
  if (!existsSync(BUILT_MAIN))
    throw new Error(`${BUILT_MAIN} is missing: run \`npx nest build\` first (npm test does it)`);
  if (newestSourceChange(join(ROOT, 'src')) > statSync(BUILT_MAIN).mtimeMs) {
    console.warn(
      'server-process: src/ changed after the last build; the child runs dist/ as built (run `npx nest build`)',
    );
  }
}

export interface ServerProcessOptions {
  /** Node's own arguments before the entry (e.g. `--import` preloads). */
  nodeArgs?: string[];
  /** Opens an IPC channel to the child: `process.send()`, its 'message' events. */
  ipc?: boolean;
}

/**
 * The built server (`node dist/main.cjs`) as a child process, for tests that must kill it for real.
 * Its stdout and stderr are kept in `output` (one string per run) to assert on and to show on failure.
 */
export class ServerProcess {
  readonly runs: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<void>;

  constructor(
    readonly env: Record<string, string>,
    readonly port: number,
    /** The entry to run: this checkout's build unless another is named (the bench compares builds). */
    readonly main = BUILT_MAIN,
    private readonly options: ServerProcessOptions = {},
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get http() {
    return request(this.baseUrl);
  }

  /** What every run printed, without Nest's module and route listing. */
  get output(): string {
    const quiet = (run: string) =>
      run
        .split('\n')
        .filter((line) => !/\[(InstanceLoader|RoutesResolver|RouterExplorer)\]/.test(line))
        .join('\n');
    return this.runs.map((run, index) => `----- run ${index + 1} -----\n${quiet(run)}`).join('\n');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The running child, if any. */
  get process(): ChildProcess | undefined {
    return this.child;
  }

  /** Starts a run and resolves once it answers HTTP (a generous minute: a loaded 2-core machine starts it in tens of seconds); rejects (with its output) if it exits or does not come up in time. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.child) throw new Error('already running');
    const index = this.runs.push('') - 1;
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), this.main], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...this.env, PORT: String(this.port) },
      stdio: this.options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);
    const append = (chunk: Buffer) => (this.runs[index] += chunk.toString('utf8'));
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        running.delete(child);
        this.runs[index] += `\n[exited: code ${code}, signal ${signal}]\n`;
        if (this.child === child) this.child = undefined;
        done();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child !== child) throw new Error(`server exited during start:\n${this.runs[index]}`);
      try {
        const response = await fetch(`${this.baseUrl}/status/00000000-0000-4000-8000-000000000000`, {
          signal: AbortSignal.timeout(1_000),
        });
        // 404 for the unknown request (401 when API_KEYS is set): the API is up.
        if (response.status === 404 || response.status === 401) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`server did not answer within ${timeoutMs} ms:\n${this.runs[index]}`);
      }
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  /** Sends the signal (SIGKILL by default: no shutdown hook runs) and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    await this.exited;
  }
}
