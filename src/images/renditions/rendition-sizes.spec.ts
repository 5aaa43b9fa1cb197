import type { Rendition } from '../../config/output-presets.js';
import { coverCrop, insideSize, preparedSize } from './rendition-sizes.js';

const PHOTO = { width: 2725, height: 2225 };
const width = (pixels: number): Rendition => ({
  spec: `${pixels}w`,
  format: 'jpeg',
  quality: 50,
  width: pixels,
  height: null,
  fit: 'inside',
});
const bounded = (fit: Rendition['fit'], side: number): Rendition => ({
  spec: `${fit}-${side}`,
  format: 'jpeg',
  quality: 50,
  width: side,
  height: side,
  fit,
});

describe('rendition sizes', () => {
  it('prepares the source once at the largest width asked for', () => {
    expect(preparedSize(PHOTO, [width(400), width(1600), width(800)])).toEqual({ width: 1600, height: 1306 });
  });

  it('never prepares above the source’s size, whatever a rendition asks for', () => {
    expect(preparedSize(PHOTO, [width(4000)])).toEqual(PHOTO);
    expect(insideSize(PHOTO, width(4000))).toEqual(PHOTO);
  });

  it('prepares a cover at the scale that fills its bounds, a pad at the one that fits them', () => {
    // cover 400×400 of a landscape: 400 high, so 490 wide; pad 1000×1000: 1000 wide.
    expect(preparedSize(PHOTO, [bounded('cover', 400)])).toEqual({ width: 490, height: 400 });
    expect(preparedSize(PHOTO, [bounded('pad', 1000)])).toEqual({ width: 1000, height: 817 });
  });

  it('sizes an inside rendition from the source, as a single output would be', () => {
    expect(insideSize(PHOTO, width(800))).toEqual({ width: 800, height: 653 });
    const tall: Rendition = { ...width(1), width: null, height: 100 };
    expect(insideSize(PHOTO, tall)).toEqual({ width: 122, height: 100 });
  });

  it('crops a cover that would enlarge at the pixels’ own size first: the box of the bounds’ shape', () => {
    expect(coverCrop({ width: 1, height: 16_000 }, bounded('cover', 400))).toEqual({ width: 1, height: 1 });
    expect(coverCrop({ width: 300, height: 200 }, bounded('cover', 400))).toEqual({
      width: 200,
      height: 200,
    });
    const wide: Rendition = { ...bounded('cover', 400), width: 800 };
    expect(coverCrop({ width: 16_000, height: 3 }, wide)).toEqual({ width: 6, height: 3 });
    // Large enough on both sides: the cover is made as it is, cropped after the reduction.
    expect(coverCrop(PHOTO, bounded('cover', 400))).toBeUndefined();
  });
});
