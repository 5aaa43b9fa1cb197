import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';

/** Small helpers the bench's phases share: rounding, a log line, latencies, CPU time and memory from /proc. */
export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export function log(message: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Linux: a process's CPU time (ms, user + system) from /proc; undefined when it is gone or elsewhere. */
export const procCpuMs = (pid: number) => statCpuMs(`/proc/${pid}/stat`);

/**
 * Linux: the CPU time (ms) of a process's main thread alone (its JavaScript, not sharp's or libuv's
 * threads). Unlike a CPU profile's busy time, it does not count the time the thread was ready but
 * waiting for a core, so it holds on a busy machine.
 */
export const mainThreadCpuMs = (pid: number) => statCpuMs(`/proc/${pid}/task/${pid}/stat`);

/**
 * Linux: the CPU time (ms) of each of a process's threads other than its main thread and libvips'
 * workers, by thread id: Node's own (libuv's pool, where sharp encodes and files are written; V8's
 * helpers; worker threads). They last as long as the process, unlike libvips' workers, which libvips
 * ends when idle: a process's libvips CPU is its whole CPU less its main thread's and these
 * (see nodeThreadsCpuSince).
 */
export function nodeThreadsCpuMs(pid: number): Map<string, number> | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const threads = new Map<string, number>();
  for (const tid of tids) {
    if (tid === String(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // a thread that ended since the listing (libvips ends its idle workers)
    }
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'libvips worker')
      threads.set(tid, cpuMsOfStat(stat));
  }
  return threads;
}

/** The CPU (ms) of Node's threads between two reads of nodeThreadsCpuMs (a thread started since counts whole). */
export function nodeThreadsCpuSince(
  before: Map<string, number> | undefined,
  after: Map<string, number> | undefined,
): number {
  if (!before || !after) return NaN;
  let total = 0;
  for (const [tid, ms] of after) total += ms - (before.get(tid) ?? 0);
  return total;
}

function statCpuMs(file: string): number | undefined {
  try {
    return cpuMsOfStat(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function cpuMsOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime (fields 14 and 15 of proc(5)), in clock ticks of 1/100 s on Linux.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Busy CPU time of the whole machine (ms, all cores), from /proc/stat; NaN elsewhere. */
export function machineBusyMs(): number {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = ticks;
    return (user + nice + system + irq + softirq + steal) * 10;
  } catch {
    return NaN;
  }
}

export const MiB = 1024 * 1024;

function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function latencySummary(values: number[]) {
  return {
    count: values.length,
    p50Ms: round(percentile(values, 0.5), 1),
    p95Ms: round(percentile(values, 0.95), 1),
    maxMs: round(values.length ? Math.max(...values) : NaN, 1),
  };
}

/** Linux: the service child's memory (KiB) from /proc; undefined elsewhere. */
export function procStatus(pid: number): { rssKiB: number; hwmKiB: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/**
 * How much of the machine other processes (not the service child, not this bench) used while `work`
 * ran, as a share of all cores: the noise of a shared machine, printed beside the figures.
 */
export class CpuWatch {
  private readonly machine = machineBusyMs();
  private readonly service: number;
  private readonly serviceMainThread: number;
  private readonly serviceNodeThreads: Map<string, number> | undefined;
  private readonly bench = process.cpuUsage();
  private readonly start = performance.now();

  /** Without a pid, only this process is told apart from the others. */
  constructor(private readonly servicePid?: number) {
    this.service = servicePid === undefined ? 0 : (procCpuMs(servicePid) ?? NaN);
    this.serviceMainThread = servicePid === undefined ? 0 : (mainThreadCpuMs(servicePid) ?? NaN);
    this.serviceNodeThreads = servicePid === undefined ? new Map() : nodeThreadsCpuMs(servicePid);
  }

  read(): {
    serviceMs: number;
    serviceMainThreadMs: number;
    serviceNodeThreadsMs: number;
    benchMs: number;
    otherShare: number;
    seconds: number;
  } {
    const seconds = (performance.now() - this.start) / 1000;
    const serviceMs = this.servicePid === undefined ? 0 : (procCpuMs(this.servicePid) ?? NaN) - this.service;
    const serviceMainThreadMs =
      this.servicePid === undefined ? 0 : (mainThreadCpuMs(this.servicePid) ?? NaN) - this.serviceMainThread;
    const serviceNodeThreadsMs =
      this.servicePid === undefined
        ? 0
        : nodeThreadsCpuSince(this.serviceNodeThreads, nodeThreadsCpuMs(this.servicePid));
    const bench = process.cpuUsage(this.bench);
    const benchMs = (bench.user + bench.system) / 1000;
    const otherMs = machineBusyMs() - this.machine - serviceMs - benchMs;
    return {
      serviceMs,
      serviceMainThreadMs,
      serviceNodeThreadsMs,
      benchMs,
      otherShare: round(Math.max(0, otherMs) / (seconds * 1000 * availableParallelism()), 2),
      seconds,
    };
  }
}
