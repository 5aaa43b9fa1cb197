import sharp from 'sharp';
import { loadConfig } from '../../config/app-config.js';
import type { Rendition } from '../../config/output-presets.js';
import { configureSharp } from '../sharp-settings.js';
import { RenditionPipeline } from './rendition-pipeline.js';

const cover = (width: number, height: number): Rendition => ({
  spec: `cover-${width}x${height}`,
  format: 'jpeg',
  quality: 80,
  width,
  height,
  fit: 'cover',
});

/** A PNG of one colour at the given size. */
const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#3366cc' } })
    .png()
    .toBuffer();

describe('RenditionPipeline: cover', () => {
  beforeAll(configureSharp);
  const pipeline = new RenditionPipeline(loadConfig({ DATA_DIR: '/tmp/pixelmill-unused' }));

  it.each([
    ['a one-pixel-wide line', 1, 16_000],
    ['a strip', 16_000, 2],
    ['an image smaller than the bounds', 300, 200],
  ])('makes %s into exactly the bounds, with its colours', async (_, width, height) => {
    const [made] = await pipeline.encode(await png(width, height), [cover(400, 400)]);
    expect(made).toMatchObject({ width: 400, height: 400 });
    const { channels } = await sharp(made.data).stats();
    // #3366cc, give or take JPEG's rounding.
    channels.forEach((channel, band) =>
      expect(Math.abs(channel.mean - [51, 102, 204][band])).toBeLessThan(4),
    );
  });
});
