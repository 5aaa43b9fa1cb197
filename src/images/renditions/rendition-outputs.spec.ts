import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noisyJpeg } from '../../../test/helpers/costly-images.js';
import { storedFiles } from '../../../test/helpers/stored-files.js';
import { loadConfig } from '../../config/app-config.js';
import type { Rendition } from '../../config/output-presets.js';
import { Metrics } from '../../metrics/metrics.js';
import { LocalStorage } from '../../storage/local-storage.js';
import { ImageAdmission } from '../image-admission.js';
import { newImageId } from '../image-id.js';
import { ImagePipeline } from '../image-pipeline.js';
import { renditionKeyOf } from '../output-key.js';
import type { ClaimedImage } from '../queue/image-queue.js';
import { configureSharp } from '../sharp-settings.js';
import { RenditionOutputs } from './rendition-outputs.js';
import { RenditionPipeline } from './rendition-pipeline.js';

const width = (pixels: number, format: 'jpeg' | 'avif'): Rendition => ({
  spec: `${pixels}w-${format}`,
  format,
  quality: 50,
  width: pixels,
  height: null,
  fit: 'inside',
});

describe('RenditionOutputs', () => {
  let dataDir: string;
  beforeAll(configureSharp);
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'pixelmill-renditions-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stores nothing once the image is given up: a rendition encoded past the deadline is dropped', async () => {
    const config = loadConfig({ DATA_DIR: dataDir, IMAGE_TIMEOUT_MS: '1000' });
    const storage = new LocalStorage(config);
    await storage.onModuleInit();
    const pipeline = new RenditionPipeline(config);
    const encodes = vi.spyOn(pipeline, 'encode');
    const admission = new ImageAdmission(new ImagePipeline(config), pipeline, config);
    const outputs = new RenditionOutputs(admission, storage, new Metrics());
    // A small JPEG first (stored at once), then an AVIF of noise: an encode of seconds that cannot be stopped.
    const renditions = [width(200, 'jpeg'), width(1600, 'avif')];
    const image = { id: newImageId(), taskId: 'task', outputOptions: {} } as ClaimedImage;
    const options = { format: 'jpeg' as const, quality: 50, maxWidth: null, maxHeight: null, renditions };

    await expect(outputs.make(image, options, await noisyJpeg(1400, 1400))).rejects.toMatchObject({
      code: 'image_timeout',
    });
    // The AVIF's encode ends later; its rendition is refused by the sink, never stored.
    await expect(encodes.mock.results[0].value).rejects.toThrow('the image was given up');
    expect(await storedFiles(config.storage.dir)).toEqual([renditionKeyOf(image.id, renditions[0])]);
    await storage.onApplicationShutdown();
  }, 60_000);
});
