import { FixtureServer } from './helpers/fixture-server.js';
import { startTestApp, TestApp, waitForCompletion } from './helpers/test-app.js';
import { productCsv } from './helpers/csv.js';

describe('a URL repeated within one request', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp({ DOWNLOAD_RETRIES: '0' });
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  it('is downloaded and processed once, and every occurrence gets its outcome', async () => {
    const shared = fixtures.imageUrl('exif-orientation-6.jpg');
    const other = fixtures.imageUrl('exif-orientation-8.jpg');
    const broken = fixtures.imageUrl('gone.jpg');
    const csv = productCsv([
      { name: 'A', urls: [shared, other, broken] },
      { name: 'B', urls: [shared, broken] },
      { name: 'C', urls: shared },
    ]);
    const { body: upload } = await service.http
      .post('/upload')
      .attach('file', Buffer.from(csv), 'dup.csv')
      .expect(202);
    expect(upload.total_images).toBe(6);

    const status = await waitForCompletion(service.http, upload.request_id);
    expect(status).toMatchObject({ status: 'completed_with_errors', processed_images: 6, failed_images: 2 });
    expect([...fixtures.imageRequests].sort()).toEqual([
      '/images/exif-orientation-6.jpg',
      '/images/exif-orientation-8.jpg',
      '/images/gone.jpg',
    ]);

    const { body: page } = await service.http.get(`/requests/${upload.request_id}/images`).expect(200);
    const ofShared = page.images.filter((image: any) => image.input_url === shared);
    expect(ofShared).toHaveLength(3);
    expect(new Set(ofShared.map((image: any) => image.output_url)).size).toBe(1);
    expect(ofShared.every((image: any) => image.status === 'done' && image.output_url)).toBe(true);
    const ofBroken = page.images.filter((image: any) => image.input_url === broken);
    expect(ofBroken.map((image: any) => image.error_code)).toEqual(['http_404', 'http_404']);

    // A retry re-fetches the broken URL once for both of its occurrences.
    await service.http.post(`/requests/${upload.request_id}/retry`).expect(202);
    const retried = await waitForCompletion(service.http, upload.request_id);
    expect(retried).toMatchObject({ status: 'completed_with_errors', processed_images: 6, failed_images: 2 });
    expect(fixtures.imageRequests.filter((path) => path === '/images/gone.jpg')).toHaveLength(2);
  });
});
