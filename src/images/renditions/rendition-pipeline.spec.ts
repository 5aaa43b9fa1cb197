import sharp from 'sharp';
import { loadConfig } from '../../config/app-config.js';
import type { Rendition } from '../../config/output-presets.js';
import { configureSharp } from '../sharp-settings.js';
import { type EncodedRendition, RenditionPipeline } from './rendition-pipeline.js';

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
    const made: EncodedRendition[] = [];
    await pipeline.encode(await png(width, height), [cover(400, 400)], async (rendition) => {
      made.push(rendition);
    });
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ width: 400, height: 400 });
    const { channels } = await sharp(made[0].data).stats();
    // #3366cc, give or take JPEG's rounding.
    channels.forEach((channel, band) =>
      expect(Math.abs(channel.mean - [51, 102, 204][band])).toBeLessThan(4),
    );
  });

  it('hands each rendition to the sink before making the next, and stops at the sink\u2019s failure', async () => {
    const widths = [300, 200, 100].map((side) => ({
      ...cover(side, side),
      fit: 'inside' as const,
      height: null,
    }));
    const seen: number[] = [];
    const made = pipeline.encode(await png(600, 400), widths, async (rendition) => {
      seen.push(rendition.width);
      if (seen.length === 2) throw new Error('storage is down');
    });
    await expect(made).rejects.toThrow('storage is down');
    expect(seen).toEqual([300, 200]);
  });
});
