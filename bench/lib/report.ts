import { round } from '../measure.js';
import { QUICK } from './options.js';
import type { Service } from './service.js';

/** The printed report's pieces: tables, verdicts, a service's memory and warnings. */

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [
    headers,
    ...rows.map((row) =>
      row.map((cell) => (typeof cell === 'number' && Number.isNaN(cell) ? '–' : String(cell))),
    ),
  ];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    `  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')}`;
  return [
    line(cells[0]),
    `  ${widths.map((w) => '─'.repeat(w)).join('  ')}`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

export const verdict = (ok: boolean | undefined) =>
  ok === undefined ? 'n/a' : QUICK ? `(${ok ? 'pass' : 'fail'}: quick, not judged)` : ok ? 'PASS' : 'FAIL';

export interface ServiceSummary {
  phasePeaksMiB: Record<string, number>;
  hwmMiB: number;
  warnings: number;
  warningLines: string[];
  rssTimeline: Array<[number, number, string]>;
}

export function summarizeService(service: Service): ServiceSummary {
  return {
    phasePeaksMiB: Object.fromEntries([...service.phasePeakKiB].map(([k, v]) => [k, round(v / 1024, 1)])),
    hwmMiB: service.hwmMiB(),
    warnings: service.warnings.length,
    warningLines: service.warnings.slice(0, 5).map((line) => line.slice(0, 300)),
    rssTimeline: service.samples
      .filter((_, i) => i % 20 === 0)
      .map((sample) => [sample.t, round(sample.rssKiB / 1024, 1), sample.phase]),
  };
}

/** One service's peak RSS by phase, high-water mark and warning lines. */
export function printServicePeaks(label: string, s: ServiceSummary | undefined): void {
  if (!s) return;
  console.log(
    `   ${label}: peak RSS by phase ${Object.entries(s.phasePeaksMiB)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ')} MiB; VmHWM ${s.hwmMiB} MiB; ${s.warnings} warning/error log line(s)`,
  );
  for (const line of s.warningLines) console.log(`     ${line}`);
}
