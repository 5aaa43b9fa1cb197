import { createHash } from 'node:crypto';
import type { OutputOptions } from '../../config/output-options.js';
import { contentSha256Of, optionsKeyOf, urlKeyOf } from './reuse-keys.js';

const OPTIONS: OutputOptions = { format: 'webp', quality: 70, maxWidth: 800, maxHeight: null };
const TARGET = 0.9868;
const WIDTH = { spec: '800w', format: 'webp', quality: 70, width: 800, height: null, fit: 'inside' } as const;

describe('reuse keys', () => {
  it('an options key is the same whatever the order of the fields, and without refresh', () => {
    const reordered = { maxHeight: null, maxWidth: 800, quality: 70, format: 'webp' } as OutputOptions;
    expect(optionsKeyOf(reordered, TARGET)).toBe(optionsKeyOf(OPTIONS, TARGET));
    expect(optionsKeyOf({ ...OPTIONS, refresh: true }, TARGET)).toBe(optionsKeyOf(OPTIONS, TARGET));
    expect(optionsKeyOf(OPTIONS, TARGET)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[string, OutputOptions]>([
    ['format', { ...OPTIONS, format: 'jpeg' }],
    ['quality', { ...OPTIONS, quality: 'auto' }],
    ['max_width', { ...OPTIONS, maxWidth: 801 }],
    ['max_height', { ...OPTIONS, maxHeight: 600 }],
    ['renditions', { ...OPTIONS, renditions: [WIDTH] }],
    ['a rendition', { ...OPTIONS, renditions: [{ ...WIDTH, quality: 71 }] }],
  ])('another %s is another key', (_name, other) => {
    expect(optionsKeyOf(other, TARGET)).not.toBe(optionsKeyOf(OPTIONS, TARGET));
  });

  it('AUTO_QUALITY_TARGET is part of a key with quality=auto (the request’s or a rendition’s), and only then', () => {
    const auto: OutputOptions = { ...OPTIONS, quality: 'auto' };
    expect(optionsKeyOf(auto, 0.95)).not.toBe(optionsKeyOf(auto, TARGET));
    const autoRendition: OutputOptions = { ...OPTIONS, renditions: [{ ...WIDTH, quality: 'auto' }] };
    expect(optionsKeyOf(autoRendition, 0.95)).not.toBe(optionsKeyOf(autoRendition, TARGET));
    expect(optionsKeyOf(OPTIONS, 0.95)).toBe(optionsKeyOf(OPTIONS, TARGET));
    expect(optionsKeyOf({ ...OPTIONS, renditions: [WIDTH] }, 0.95)).toBe(
      optionsKeyOf({ ...OPTIONS, renditions: [WIDTH] }, TARGET),
    );
  });

  it('a URL key and a content hash are SHA-256 hex', async () => {
    const url = 'https://cdn.example/a.jpg?v=1';
    expect(urlKeyOf(url)).toBe(createHash('sha256').update(url).digest('hex'));
    // Small bytes are hashed on the main thread, large ones on the thread pool: the same digest.
    for (const bytes of [Buffer.from('image bytes'), Buffer.alloc(256 * 1024 + 1, 7)])
      expect(await contentSha256Of(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
