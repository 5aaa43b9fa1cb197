import { loadConfig } from './app-config.js';
import { DEFAULT_OUTPUT_PRESETS, parseOutputPresets, PresetsProblem } from './output-presets.js';

const problemOf = (value: unknown) => {
  const parsed = parseOutputPresets(typeof value === 'string' ? value : JSON.stringify(value));
  return parsed instanceof PresetsProblem ? parsed.message : undefined;
};

describe('OUTPUT_PRESETS', () => {
  it('ships square-2000 (padded JPEG) and thumb-400 (cropped WebP)', () => {
    expect(loadConfig({}).output.presets).toEqual(DEFAULT_OUTPUT_PRESETS);
    expect(DEFAULT_OUTPUT_PRESETS).toEqual({
      'square-2000': { format: 'jpeg', quality: 85, width: 2000, height: 2000, fit: 'pad' },
      'thumb-400': { format: 'webp', quality: 80, width: 400, height: 400, fit: 'cover' },
    });
  });

  it('reads a JSON object of presets, replacing the shipped ones; a missing bound is none', () => {
    const presets = {
      hero: { format: 'avif', quality: 'auto', width: 1920, fit: 'inside' },
      tile: { format: 'jpeg', quality: 70, width: 300, height: 200, fit: 'cover' },
    };
    expect(loadConfig({ OUTPUT_PRESETS: JSON.stringify(presets) }).output.presets).toEqual({
      hero: { format: 'avif', quality: 'auto', width: 1920, height: null, fit: 'inside' },
      tile: { format: 'jpeg', quality: 70, width: 300, height: 200, fit: 'cover' },
    });
    expect(loadConfig({ OUTPUT_PRESETS: '{}' }).output.presets).toEqual({});
  });

  it.each([
    ['{not json', 'is not valid JSON'],
    [[], 'must be a JSON object of preset name → preset'],
    [{ Big: { format: 'jpeg', quality: 80, width: 10, fit: 'inside' } }, 'preset name "Big" must be'],
    [{ '800w': { format: 'jpeg', quality: 80, width: 10, fit: 'inside' } }, 'not a width such as 800w'],
    [{ a: 'jpeg' }, 'preset "a" is not an object'],
    [{ a: { format: 'png', quality: 80, width: 10, fit: 'inside' } }, 'preset "a" format must be one of'],
    [{ a: { format: 'jpeg', quality: 0, width: 10, fit: 'inside' } }, 'preset "a" quality must be'],
    [{ a: { format: 'jpeg', quality: '80', width: 10, fit: 'inside' } }, 'preset "a" quality must be'],
    [{ a: { format: 'jpeg', quality: 80, width: 16384, fit: 'inside' } }, 'width and height must be'],
    [{ a: { format: 'jpeg', quality: 80, width: 1.5, fit: 'inside' } }, 'width and height must be'],
    [{ a: { format: 'jpeg', quality: 80, width: 10, fit: 'fill' } }, 'fit must be one of inside, pad, cover'],
    [{ a: { format: 'jpeg', quality: 80, width: 10, fit: 'pad' } }, 'fit "pad" needs both width and height'],
    [{ a: { format: 'jpeg', quality: 80, fit: 'inside' } }, 'preset "a" needs a width or a height'],
    [{ a: { format: 'jpeg', quality: 80, width: 10, fit: 'inside', dpi: 2 } }, 'has an unknown key "dpi"'],
  ])('refuses %j', (value, problem) => {
    expect(problemOf(value)).toContain(problem);
  });

  it('stops the start with a message naming the variable', () => {
    expect(() => loadConfig({ OUTPUT_PRESETS: '{"a": {"format": "gif"}}' })).toThrow(
      /OUTPUT_PRESETS="\{[^\n]*: OUTPUT_PRESETS preset "a" format must be one of jpeg, webp, avif/,
    );
    expect(() => loadConfig({ MAX_RENDITIONS: '0' })).toThrow(/MAX_RENDITIONS="0"/);
  });

  it('refuses a pad or cover preset of more pixels than MAX_IMAGE_PIXELS: any 1×1 image would become it', () => {
    const big = { big: { format: 'jpeg', quality: 80, width: 16_383, height: 16_383, fit: 'pad' } };
    expect(() => loadConfig({ OUTPUT_PRESETS: JSON.stringify(big) })).toThrow(
      'preset "big" (pad 16383×16383) makes more pixels than MAX_IMAGE_PIXELS (100000000)',
    );
    expect(
      loadConfig({ OUTPUT_PRESETS: JSON.stringify(big), MAX_IMAGE_PIXELS: '300000000' }).output.presets.big,
    ).toMatchObject({ width: 16_383 });
  });
});
