import { readFileSync } from 'node:fs';

/** Small helpers the bench's phases share: rounding, a log line, CPU time from /proc. */
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

function statCpuMs(file: string): number | undefined {
  try {
    const stat = readFileSync(file, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of proc(5)), in clock ticks of 1/100 s on Linux.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
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
