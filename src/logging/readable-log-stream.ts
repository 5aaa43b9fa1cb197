import type { DestinationStream } from 'pino';

/** Fields every line has, shown in its head rather than in the trailing `key=value` list. */
const HEAD = new Set(['level', 'time', 'pid', 'hostname', 'context', 'msg', 'req', 'res', 'responseTime']);

interface HttpFields {
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

/**
 * Pino's JSON lines made readable for a terminal (LOG_FORMAT=text, the default outside production):
 * `2026-11-26T08:00:00.000Z  INFO [ImageProcessor] message request_id=… image_id=…`. No dependency: a
 * line that is not JSON is passed through.
 */
export class ReadableLogStream implements DestinationStream {
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  write(line: string): void {
    this.out.write(`${this.format(line)}\n`);
  }

  format(line: string): string {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return line.trimEnd();
    }
    // One event, one line: a line break inside a value is shown escaped, so it cannot forge a line.
    const text = (value: unknown) =>
      (typeof value === 'string' ? value : (JSON.stringify(value) ?? '')).replace(/[\r\n]/g, (c) =>
        c === '\n' ? '\\n' : '\\r',
      );
    const level = text(entry.level).toUpperCase().padStart(5);
    const context = entry.context ? ` [${text(entry.context)}]` : '';
    const fields = Object.entries(entry)
      .filter(([key]) => !HEAD.has(key))
      .map(([key, value]) => `${key}=${text(value)}`);
    const { req, res, responseTime } = entry as HttpFields;
    const http = req
      ? `: ${req.method} ${req.url}${res ? ` ${res.statusCode} in ${responseTime} ms` : ''}`
      : '';
    return [`${text(entry.time)} ${level}${context} ${text(entry.msg)}${http}`, ...fields].join(' ');
  }
}
