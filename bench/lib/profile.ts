import { readFile } from 'node:fs/promises';
import { round } from '../measure.js';
import { PROFILE } from './options.js';
import type { Service } from './service.js';

/** With --profile: the service's CPU profile of a phase (bench/child-probe.mjs), summed up by package and frame. */

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function packageOf(url: string): string {
  if (url === '') return '(native / vm)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return 'node core';
  if (isAppUrl(url)) return `app ${url.slice(url.indexOf('/dist/') + '/dist/'.length).split('/')[0]}/`;
  return url;
}

/** A frame of the service's own code (dist/), not of a dependency's dist/. */
const isAppUrl = (url: string) => url.includes('/dist/') && !url.includes('/node_modules/');

function frameName(frame: { functionName: string; url: string; lineNumber: number }): string {
  const where = frame.url.includes('/node_modules/')
    ? frame.url.slice(frame.url.lastIndexOf('/node_modules/') + 14)
    : isAppUrl(frame.url)
      ? frame.url.slice(frame.url.indexOf('/dist/') + 1)
      : frame.url;
  return `${frame.functionName || '(anonymous)'}${where ? ` ${where}:${frame.lineNumber + 1}` : ''}`;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  idleMs: number;
  gcMs: number;
  byPackageSelfMs: Array<[string, number]>;
  topSelf: Array<[string, number]>;
  topAppInclusive: Array<[string, number]>;
}

function summarizeProfile(file: string, profile: CpuProfile): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byPackage = new Map<string, number>();
  const self = new Map<string, number>();
  const appInclusive = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let gcUs = 0;
  profile.samples.forEach((id, index) => {
    const deltaUs = profile.timeDeltas[index + 1] ?? 0;
    const node = nodes.get(id)!;
    totalUs += deltaUs;
    const fn = node.callFrame.functionName;
    if (fn === '(idle)') {
      idleUs += deltaUs;
      return;
    }
    if (fn === '(garbage collector)') gcUs += deltaUs;
    const pkg = fn.startsWith('(') ? fn : packageOf(node.callFrame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + deltaUs);
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + deltaUs);
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = nodes.get(current)!.callFrame;
      if (!isAppUrl(frame.url)) continue;
      const key = frameName(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      appInclusive.set(key, (appInclusive.get(key) ?? 0) + deltaUs);
    }
  });
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => [key, round(us / 1000, 0)] as [string, number]);
  return {
    file,
    totalMs: round(totalUs / 1000, 0),
    idleMs: round(idleUs / 1000, 0),
    gcMs: round(gcUs / 1000, 0),
    byPackageSelfMs: top(byPackage, 12),
    topSelf: top(self, 12),
    topAppInclusive: top(appInclusive, 15),
  };
}

export async function profiled<T>(
  service: Service,
  phase: string,
  resultsBase: string,
  work: () => Promise<T>,
): Promise<{ result: T; profile?: ProfileSummary }> {
  if (!PROFILE) return { result: await work() };
  await service.probe({ probe: 'start' });
  const file = `${resultsBase}-${phase}.cpuprofile`;
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await service.probe({ probe: 'stop', file }).catch(() => undefined); // the child must not be left profiling
    throw error;
  }
  await service.probe({ probe: 'stop', file });
  const profile = summarizeProfile(file, JSON.parse(await readFile(file, 'utf8')) as CpuProfile);
  return { result, profile };
}

export function printProfile(title: string, profile: ProfileSummary): void {
  console.log(
    `\n  CPU profile ${title}: ${profile.totalMs} ms sampled, ${profile.idleMs} ms idle, ${profile.gcMs} ms GC  (${profile.file})`,
  );
  console.log(
    `    self time by package:   ${profile.byPackageSelfMs.map(([k, v]) => `${k} ${v}`).join(' · ')}`,
  );
  console.log('    top self:');
  for (const [name, ms] of profile.topSelf.slice(0, 8))
    console.log(`      ${String(ms).padStart(6)} ms  ${name}`);
  console.log('    app frames, inclusive:');
  for (const [name, ms] of profile.topAppInclusive.slice(0, 10))
    console.log(`      ${String(ms).padStart(6)} ms  ${name}`);
}
