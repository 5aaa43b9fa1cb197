import type { FixtureServer } from './fixture-server.js';
import { type TestApp, waitForCompletion } from './test-app.js';
import { productCsv } from './csv.js';

/**
 * Uploads one row of the given fixture images (tagged, so their URLs are distinct) with a webhook (and
 * any other form `fields`) and waits until the request is final: its id and when it completed.
 */
export async function completedRequest(
  service: TestApp,
  fixtures: FixtureServer,
  tag: string,
  images: string[],
  fields: Record<string, string> = {},
): Promise<{ id: string; completedAt: number }> {
  const urls = images.map((name) => fixtures.imageUrl(name, `tag=${tag}`));
  const csv = Buffer.from(productCsv([urls]));
  const upload = service.http.post('/upload');
  for (const [name, value] of Object.entries(fields)) void upload.field(name, value);
  const { body } = await upload
    .field('webhook_url', `${fixtures.baseUrl}/webhook`)
    .attach('file', csv, { filename: 'products.csv', contentType: 'text/csv' })
    .expect(202);
  const status = await waitForCompletion(service.http, body.request_id);
  return { id: body.request_id as string, completedAt: Date.parse(status.completed_at) };
}
