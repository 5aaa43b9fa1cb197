import { productCsv } from './csv.js';
import type { TestApp } from './test-app.js';
import { upload } from './upload.js';

/** What a finished import shows: its status and its images (in CSV order). */
export interface Import {
  id: string;
  status: Record<string, any>;
  images: Array<Record<string, any>>;
}

/** Re-imports as a catalogue team sends them: one row per URL, under an API key, with form fields. */
export class Importer {
  constructor(
    private readonly http: TestApp['http'],
    private readonly webhookUrl?: string,
  ) {}

  /** Uploads the URLs, waits for the request to finish, and reads its status and images. */
  async run(apiKey: string, urls: string[], fields: Record<string, string> = {}): Promise<Import> {
    const csv = productCsv(urls.map((url) => [url]));
    const id = await upload(this.http, csv, { apiKey, fields, webhookUrl: this.webhookUrl });
    const auth = `Bearer ${apiKey}`;
    const deadline = Date.now() + 60_000;
    let status: Record<string, any>;
    for (;;) {
      ({ body: status } = await this.http.get(`/status/${id}`).set('Authorization', auth).expect(200));
      if (status.status !== 'processing') break;
      if (Date.now() > deadline) throw new Error(`request ${id} still processing`);
      await new Promise((done) => setTimeout(done, 50));
    }
    const { body } = await this.http.get(`/requests/${id}/images`).set('Authorization', auth).expect(200);
    return { id, status, images: body.images };
  }
}

/** One sample of a metric at /metrics (`labels` as written there, e.g. `stage="process"`); 0 when absent. */
export async function metricSample(http: TestApp['http'], name: string, labels: string): Promise<number> {
  const { text } = await http.get('/metrics').expect(200);
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}}`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** Encodes this process ran (each image made: one `process` stage, failed ones included). */
export const encodes = (http: TestApp['http']) =>
  metricSample(http, 'pixelmill_image_stage_seconds_count', 'stage="process"');
