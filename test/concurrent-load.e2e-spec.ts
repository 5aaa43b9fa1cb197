import type { LoggerService } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { queryDatabase } from './helpers/database-counts.js';
import { csvFile, sleep } from './helpers/durability.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { startTestApp, TestApp } from './helpers/test-app.js';
import { imagesCsv, parseCsv } from './helpers/csv.js';

const UPLOADS = 20;
const IMAGES_PER_UPLOAD = 50;

/** Keeps every line the app logs (every level), to search them afterwards; errors and warnings are also printed. */
class CapturingLogger implements LoggerService {
  readonly lines: Array<{ level: string; text: string }> = [];
  private keep(level: string, message: unknown, params: unknown[]) {
    const text = [message, ...params]
      .map((part) => (part instanceof Error ? (part.stack ?? part.message) : String(part)))
      .join(' ');
    this.lines.push({ level, text });
    if (level === 'error' || level === 'fatal' || level === 'warn') console.log(`[app ${level}] ${text}`);
  }
  log = (message: unknown, ...params: unknown[]) => this.keep('log', message, params);
  error = (message: unknown, ...params: unknown[]) => this.keep('error', message, params);
  warn = (message: unknown, ...params: unknown[]) => this.keep('warn', message, params);
  debug = (message: unknown, ...params: unknown[]) => this.keep('debug', message, params);
  verbose = (message: unknown, ...params: unknown[]) => this.keep('verbose', message, params);
  fatal = (message: unknown, ...params: unknown[]) => this.keep('fatal', message, params);
}

describe(`concurrent load: ${UPLOADS} uploads of ${IMAGES_PER_UPLOAD} images at once`, () => {
  // Each URL's bytes its own: every image is made, none reused by content.
  const origin = Object.assign(new FixtureServer(), { distinctImages: true });
  const logger = new CapturingLogger();
  let service: TestApp;
  /** Every HTTP status the service answered during the test, with what was asked. */
  const answers: Array<{ what: string; status: number; body?: unknown }> = [];

  beforeAll(async () => {
    await origin.start();
    // All of them are let in at once (the default MAX_CONCURRENT_UPLOADS answers 503 past 4).
    service = await startTestApp({ MAX_CONCURRENT_UPLOADS: String(UPLOADS) });
    service.app.useLogger(logger);
  });

  afterAll(async () => {
    await service?.close();
    await origin.stop();
  });

  it('completes every request with exact counters and complete exports; no 5xx, no SQLITE_BUSY', async () => {
    const started = Date.now();
    const csvs = Array.from({ length: UPLOADS }, (_, upload) =>
      imagesCsv(
        Array.from({ length: IMAGES_PER_UPLOAD }, (_, n) =>
          origin.imageUrl('animated.gif', `load=${upload}-${n}-${randomUUID().slice(0, 8)}`),
        ),
      ),
    );
    const uploads = await Promise.all(
      csvs.map(async (csv, index) => {
        const response = await service.http
          .post('/upload')
          .attach('file', ...csvFile(csv, `load-${index}.csv`));
        answers.push({ what: `upload ${index}`, status: response.status, body: response.body });
        return response;
      }),
    );
    expect(uploads.map((response) => response.status)).toEqual(Array(UPLOADS).fill(202));
    const ids: string[] = uploads.map((response) => response.body.request_id);
    expect(new Set(ids).size).toBe(UPLOADS);
    const accepted = Date.now();

    // Everyone polls at once while the images are processed: reads race the writes.
    const finals = new Map<string, Record<string, any>>();
    const deadline = Date.now() + 90_000;
    while (finals.size < UPLOADS) {
      if (Date.now() > deadline)
        throw new Error(`unfinished after 90 s: ${ids.filter((id) => !finals.has(id)).join(', ')}`);
      await Promise.all(
        ids
          .filter((id) => !finals.has(id))
          .map(async (id) => {
            const response = await service.http.get(`/status/${id}`);
            answers.push({ what: `status ${id}`, status: response.status, body: response.body });
            if (response.status === 200 && response.body.status !== 'processing')
              finals.set(id, response.body);
          }),
      );
      await sleep(100);
    }
    const processed = Date.now();

    for (const id of ids) {
      expect(finals.get(id)).toMatchObject({
        status: 'completed',
        progress: `${IMAGES_PER_UPLOAD}/${IMAGES_PER_UPLOAD}`,
        total_images: IMAGES_PER_UPLOAD,
        processed_images: IMAGES_PER_UPLOAD,
        failed_images: 0,
      });
    }

    const allOutputs: string[] = [];
    await Promise.all(
      ids.map(async (id, index) => {
        const exported = await service.http.get(`/export-csv/${id}`);
        answers.push({ what: `export ${id}`, status: exported.status });
        expect(exported.status).toBe(200);
        const table = await parseCsv(exported.text);
        expect(table).toHaveLength(1 + IMAGES_PER_UPLOAD / 5);
        const inputs = table.slice(1).flatMap((row) => row[2].split(','));
        const outputs = table.slice(1).flatMap((row) => row[3].split(','));
        expect(inputs).toEqual((await parseCsv(csvs[index])).slice(1).flatMap((row) => row[2].split(',')));
        expect(outputs).toHaveLength(IMAGES_PER_UPLOAD);
        expect(
          outputs.every(
            (url) => url.startsWith(`${service.config.server.publicUrl}/files/`) && !url.includes(id),
          ),
        ).toBe(true);
        expect(table.slice(1).every((row) => row[4] === '')).toBe(true);
        allOutputs.push(...outputs);
      }),
    );
    expect(new Set(allOutputs).size).toBe(UPLOADS * IMAGES_PER_UPLOAD);

    // Every output is served.
    for (let start = 0; start < allOutputs.length; start += 25) {
      await Promise.all(
        allOutputs.slice(start, start + 25).map(async (url) => {
          const response = await fetch(url);
          answers.push({ what: `file ${url}`, status: response.status });
          expect(response.status).toBe(200);
          expect(response.headers.get('content-type')).toBe('image/jpeg');
          await response.arrayBuffer();
        }),
      );
    }

    // Each image was fetched from its origin exactly once, and the database agrees with the API.
    expect(origin.imageRequests).toHaveLength(UPLOADS * IMAGES_PER_UPLOAD);
    expect(
      queryDatabase(service.dataDir, 'SELECT status, COUNT(*) AS count FROM images GROUP BY status'),
    ).toEqual([{ status: 'done', count: UPLOADS * IMAGES_PER_UPLOAD }]);
    expect(
      queryDatabase(service.dataDir, 'SELECT status, COUNT(*) AS count FROM tasks GROUP BY status'),
    ).toEqual([{ status: 'completed', count: UPLOADS }]);

    const serverErrors = answers.filter((answer) => answer.status >= 500);
    expect(serverErrors).toEqual([]);
    expect(logger.lines.filter((line) => /SQLITE_BUSY|database is locked/i.test(line.text))).toEqual([]);
    expect(logger.lines.filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
    expect(logger.lines.filter((line) => /: completed \(/.test(line.text))).toHaveLength(UPLOADS);
    console.log(
      `load: ${UPLOADS} uploads accepted in ${accepted - started} ms; ${UPLOADS * IMAGES_PER_UPLOAD} images processed in ${processed - accepted} ms; ` +
        `${answers.length} HTTP answers, ${logger.lines.length} log lines, none an error`,
    );
  });
});
