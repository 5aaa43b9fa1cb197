import type { FixtureServer } from './fixture-server.js';
import { type TestApp, waitForCompletion } from './test-app.js';
import { productCsv } from './csv.js';

/**
 * Uploads one row of the given fixture images (tagged, so their URLs are distinct) with a webhook and
 * waits until the request is final: its id and when it completed.
 */
export async function completedRequest(
  service: TestApp,
  fixtures: FixtureServer,
  tag: string,
  images: string[],
): Promise<{ id: string; completedAt: number }> {
  const urls = images.map((name) => fixtures.imageUrl(name, `tag=${tag}`));
  const csv = Buffer.from(productCsv([urls]));
  const { body } = await service.http
    .post('/upload')
    .field('webhook_url', `${fixtures.baseUrl}/webhook`)
    .attach('file', csv, { filename: 'products.csv', contentType: 'text/csv' })
    .expect(202);
  const status = await waitForCompletion(service.http, body.request_id);
  return { id: body.request_id as string, completedAt: Date.parse(status.completed_at) };
}
