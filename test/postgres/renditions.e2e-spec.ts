import { completedRequest } from '../helpers/completed-request.js';
import { parseCsv } from '../helpers/csv.js';
import { FixtureServer } from '../helpers/fixture-server.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { storedFiles } from '../helpers/stored-files.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/** Renditions on PostgreSQL: recorded per image (a repeated URL sharing its original's), exported, deleted. */
describe('renditions on PostgreSQL', () => {
  const fixtures = new FixtureServer();
  let database: PostgresDatabase;
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    database = await PostgresDatabase.create();
    service = await startTestApp({ DATABASE_URL: database.url, DOWNLOAD_RETRIES: '0' });
  });
  afterAll(async () => {
    await service?.close();
    await database?.drop();
    await fixtures.stop();
  });

  it('records, exports and deletes every rendition of every image', async () => {
    const { id } = await completedRequest(
      service,
      fixtures,
      'renditions',
      ['alpha.png', 'cmyk.jpg', 'alpha.png', 'not-an-image.jpg'],
      { renditions: '100w,thumb-400' },
    );
    const { body } = await service.http.get(`/requests/${id}/images`).expect(200);
    const [alpha, cmyk, repeated, broken] = body.images;
    expect(cmyk.renditions).toMatchObject([
      { spec: '100w', format: 'jpeg', width: 100, height: 67 },
      { spec: 'thumb-400', format: 'webp', width: 400, height: 400 },
    ]);
    expect(repeated.renditions).toEqual(alpha.renditions);
    expect(broken.renditions).toBeUndefined();
    const urls = [alpha, cmyk].flatMap((image) =>
      image.renditions.map((rendition: { url: string }) => rendition.url),
    );
    const keys = urls.map((url) => new URL(url).pathname.replace('/files/', ''));
    expect(await storedFiles(service.config.storage.dir)).toEqual([...keys].sort());

    const [header, row] = await parseCsv((await service.http.get(`/export-csv/${id}`).expect(200)).text);
    expect(header.slice(3)).toEqual([
      'Output Image Urls',
      'Output Image Urls 100w',
      'Output Image Urls thumb-400',
      'Errors',
    ]);
    expect(row[4]).toBe([alpha, cmyk, repeated].map((image) => image.renditions[0].url).join(',') + ',');

    await service.http.delete(`/requests/${id}`).expect(204);
    expect(await storedFiles(service.config.storage.dir)).toEqual([]);
  });
});
