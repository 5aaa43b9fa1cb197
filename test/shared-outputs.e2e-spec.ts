import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputRemovals } from '../src/images/outputs/output-removals.js';
import { RetentionJob } from '../src/retention/retention-job.js';
import { countRows, queryDatabase } from './helpers/database-counts.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { type Import, Importer } from './helpers/reimports.js';
import { S3TestServer } from './helpers/s3-server.js';
import { everyStoredFile, storedFiles } from './helpers/stored-files.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

const KEY = 'catalog-key-0123456789abcdef';
const FIXTURES = ['alpha.png', 'cmyk.jpg', 'photo.webp'];
const DAY_MS = 86_400_000;

/**
 * An output a re-import reused belongs to both imports: deleting one (DELETE, retention, a deletion
 * a kill interrupted) leaves every output URL of the other answering, and the last one takes the files.
 */
describe('shared outputs: deleting one import keeps what another reuses', () => {
  const fixtures = new FixtureServer();
  beforeAll(() => fixtures.start());
  afterAll(() => fixtures.stop());

  const urlsOf = (tag: string) => FIXTURES.map((name) => fixtures.imageUrl(name, `tag=${tag}`));
  const paths = (done: Import) => done.images.map((image) => new URL(image.output_url).pathname);
  const auth = { Authorization: `Bearer ${KEY}` };

  /** Imports the same catalog twice: the second reuses every output of the first. */
  async function twoImports(imports: Importer, tag: string): Promise<[Import, Import]> {
    const first = await imports.run(KEY, urlsOf(tag));
    const second = await imports.run(KEY, urlsOf(tag));
    expect(second.status.reused_images).toBe(FIXTURES.length);
    expect(paths(second)).toEqual(paths(first));
    return [first, second];
  }

  async function expectServed(service: TestApp, done: Import): Promise<void> {
    for (const path of paths(done)) await service.http.get(path).expect(200);
    await service.http.get(`/status/${done.id}`).set(auth).expect(200);
  }

  /** The request answers 404 (its outputs may live on, named by another request). */
  async function expectGone(service: TestApp, done: Import): Promise<void> {
    await service.http.get(`/status/${done.id}`).set(auth).expect(404);
    await service.http.get(`/requests/${done.id}/images`).set(auth).expect(404);
  }

  async function expectOutputsGone(service: TestApp, done: Import): Promise<void> {
    for (const path of paths(done)) await service.http.get(path).expect(404);
  }

  /** Asks for each image's preview, so that it is made and stored. */
  async function makePreviews(service: TestApp, done: Import): Promise<void> {
    for (const image of done.images)
      await service.http.get(new URL(image.thumbnail_url).pathname).expect(200);
  }

  describe('local storage', () => {
    let service: TestApp;
    let imports: Importer;
    beforeAll(async () => {
      service = await startTestApp({ API_KEYS: `catalog:${KEY}`, RETENTION_DAYS: '1' });
      imports = new Importer(service.http);
    });
    afterAll(() => service.close());

    it('DELETE of the first import keeps the outputs the second reuses; deleting the second removes them', async () => {
      const [first, second] = await twoImports(imports, 'delete');
      await makePreviews(service, first);
      await makePreviews(service, second);
      const dir = service.config.storage.dir;
      expect(await storedFiles(dir)).toHaveLength(FIXTURES.length);
      expect(await everyStoredFile(dir)).toHaveLength(3 * FIXTURES.length); // each import's previews

      await service.http.delete(`/requests/${first.id}`).set(auth).expect(204);

      await expectGone(service, first);
      await expectServed(service, second);
      // The first import's previews went; the outputs, each now named by one image, stayed.
      expect(await everyStoredFile(dir)).toHaveLength(2 * FIXTURES.length);
      expect(queryDatabase<{ refs: number }>(service.dataDir, 'SELECT refs FROM outputs')).toEqual(
        FIXTURES.map(() => ({ refs: 1 })),
      );

      await service.http.delete(`/requests/${second.id}`).set(auth).expect(204);
      await expectGone(service, second);
      await expectOutputsGone(service, second);
      expect(await everyStoredFile(dir)).toEqual([]);
      for (const table of ['outputs', 'sources', 'output_removals'] as const)
        expect(countRows(service.dataDir, table), table).toBe(0);
    });

    it('retention deletes the old import and keeps the outputs of the recent one that reuses them', async () => {
      const [old, recent] = await twoImports(imports, 'retention');
      const completedAt = Date.parse(old.status.completed_at);
      const job = service.app.get(RetentionJob, { strict: false });

      // A day and a millisecond after the old import completed: the recent one is a day old at most.
      expect(await job.runOnce(completedAt + DAY_MS + 1)).toBe(1);
      await expectGone(service, old);
      await expectServed(service, recent);

      expect(await job.runOnce(Date.parse(recent.status.completed_at) + DAY_MS + 1)).toBe(1);
      await expectGone(service, recent);
      await expectOutputsGone(service, recent);
      expect(await everyStoredFile(service.config.storage.dir)).toEqual([]);
    });
  });

  describe('a deletion killed before its objects were removed', () => {
    let dataDir: string;
    let service: TestApp | undefined;
    const env = { API_KEYS: `catalog:${KEY}` };
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-shared-'));
    });
    afterAll(async () => {
      await service?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('removals queued by a deletion a kill interrupted are done at the next start, and never a shared output', async () => {
      service = await startTestApp(env, { dataDir });
      const imports = new Importer(service.http);
      const [first, second] = await twoImports(imports, 'killed');
      const only = await imports.run(KEY, [fixtures.imageUrl('exif-orientation-6.jpg', 'tag=killed')]);
      await makePreviews(service, first);
      const dir = service.config.storage.dir;
      const before = await everyStoredFile(dir);
      // As if killed after each deletion's transactions committed and before any object was removed:
      // the rows are gone, the references taken off, the unnamed objects queued, nothing removed.
      vi.spyOn(service.app.get(OutputRemovals), 'remove').mockResolvedValue(0);
      await service.http.delete(`/requests/${first.id}`).set(auth).expect(204);
      await service.http.delete(`/requests/${only.id}`).set(auth).expect(204);
      expect(await everyStoredFile(dir)).toEqual(before);
      // The first import's previews, the unshared output and its preview's key (made or not); none
      // of the outputs the second names.
      expect(countRows(dataDir, 'output_removals')).toBe(FIXTURES.length + 2);
      await service.close();

      service = await startTestApp(env, { dataDir });
      expect(countRows(dataDir, 'output_removals')).toBe(0);
      await expectGone(service, first);
      await expectGone(service, only);
      await expectOutputsGone(service, only);
      await expectServed(service, second);
      expect(await everyStoredFile(service.config.storage.dir)).toEqual(
        paths(second)
          .map((path) => path.replace(/^\/files\//, ''))
          .sort(),
      );
    });
  });

  describe('S3 storage', () => {
    const s3 = new S3TestServer();
    let service: TestApp;
    beforeAll(async () => {
      await s3.start();
      service = await startTestApp({ API_KEYS: `catalog:${KEY}`, ...s3.env({ S3_PREFIX: 'shared' }) });
    });
    afterAll(async () => {
      await service?.close();
      await s3.stop();
    });

    it('DELETE of the first import keeps the objects the second reuses; deleting the second removes them', async () => {
      const imports = new Importer(service.http);
      const [first, second] = await twoImports(imports, 's3');
      const objects = async () => (await s3.keys()).filter((key) => !key.endsWith('.pixelmill-probe'));
      expect(await objects()).toHaveLength(FIXTURES.length);

      await service.http.delete(`/requests/${first.id}`).set(auth).expect(204);
      await expectGone(service, first);
      await expectServed(service, second);
      expect(await objects()).toEqual(
        paths(second)
          .map((path) => path.replace(/^\/files\//, 'shared/'))
          .sort(),
      );

      await service.http.delete(`/requests/${second.id}`).set(auth).expect(204);
      await expectOutputsGone(service, second);
      expect(await objects()).toEqual([]);
    });
  });
});
