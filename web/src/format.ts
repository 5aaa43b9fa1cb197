const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB" (powers of 1024). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** The share of the input bytes saved: 1000 in, 250 out → "75%"; null without input. */
export function formatSaving(input: number, output: number): string | null {
  if (input <= 0) return null;
  return `${Math.round(((input - output) / input) * 100)}%`;
}

/** 75 s → "1 min 15 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function formatTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** One progress reading: when, and how many images were finished. */
export interface Sample {
  at: number;
  processed: number;
}

/**
 * Images per second over the readings of the last `windowMs`, and the seconds left at that pace;
 * null until two readings apart in time show progress.
 */
export function throughput(
  samples: Sample[],
  total: number,
  windowMs = 30_000,
): { perSecond: number; secondsLeft: number } | null {
  const last = samples[samples.length - 1];
  if (!last) return null;
  const first = samples.find((sample) => sample.at >= last.at - windowMs) ?? samples[0];
  const seconds = (last.at - first.at) / 1000;
  const done = last.processed - first.processed;
  if (seconds <= 0 || done <= 0) return null;
  const perSecond = done / seconds;
  return { perSecond, secondsLeft: (total - last.processed) / perSecond };
}

/** What a request is called on the page: the CSV's name, or its id's first characters when it has none. */
export function requestName(request: { request_id: string; file_name: string | null }): string {
  return request.file_name ?? `Request ${request.request_id.slice(0, 8)}`;
}

/** The export's file name: "catalog.csv" → "catalog-output.csv"; "<request id>.csv" without a name. */
export function exportFileName(request: { request_id: string; file_name: string | null }): string {
  if (!request.file_name) return `${request.request_id}.csv`;
  return `${request.file_name.replace(/\.csv$/i, '')}-output.csv`;
}

/** A width rendition's spec: `800w`. */
const WIDTH_SPEC = /^[0-9]+w$/;

/**
 * The `srcset` of an image's width renditions: `<url> <width>w, …` with each one's actual width, once
 * (a small image, never enlarged, may have several renditions of the same width); null without any.
 */
export function srcsetOf(renditions: Array<{ spec: string; url: string; width: number }>): string | null {
  const widths = new Set<number>();
  const candidates: string[] = [];
  for (const rendition of renditions) {
    if (!WIDTH_SPEC.test(rendition.spec) || widths.has(rendition.width)) continue;
    widths.add(rendition.width);
    candidates.push(`${rendition.url} ${rendition.width}w`);
  }
  return candidates.length > 0 ? candidates.join(', ') : null;
}
