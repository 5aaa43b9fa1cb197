import type { OutputPresets } from '../config/output-presets.js';
import { renditionsOf } from './renditions-form.js';

const PRESETS: OutputPresets = {
  'square-2000': { format: 'jpeg', quality: 85, width: 2000, height: 2000, fit: 'pad' },
  banner: { format: 'avif', quality: 'auto', width: 1200, height: null, fit: 'inside' },
};
const OWN = { format: 'jpeg', quality: 50 } as const;
const RULES = { presets: PRESETS, maxRenditions: 8 };

const problemOf = (text: string, rules = RULES) => {
  const parsed = renditionsOf(text, OWN, rules);
  return 'problem' in parsed ? parsed.problem : undefined;
};

describe('renditionsOf', () => {
  it('resolves widths with the request’s format and quality, presets with their own, in the order given', () => {
    expect(renditionsOf(' 1600w,Square-2000 , 400W,banner', OWN, RULES)).toEqual({
      value: [
        { spec: '1600w', format: 'jpeg', quality: 50, width: 1600, height: null, fit: 'inside' },
        { spec: 'square-2000', ...PRESETS['square-2000'] },
        { spec: '400w', format: 'jpeg', quality: 50, width: 400, height: null, fit: 'inside' },
        { spec: 'banner', ...PRESETS.banner },
      ],
    });
  });

  it('writes a width without its leading zeros, so that 0800w and 800w are the same spec', () => {
    expect(renditionsOf('0800w', OWN, RULES)).toMatchObject({ value: [{ spec: '800w', width: 800 }] });
    expect(problemOf('0800w,800w')).toBe('lists "800w" twice');
  });

  it.each([
    ['0w', '"0w": a width must be from 1w to 16383w'],
    ['16384w', '"16384w": a width must be from 1w to 16383w'],
    ['1234567w', '"1234567w": a width must be from 1w to 16383w'],
    ['800px', 'is not a configured preset'],
    ['w800', 'is not a configured preset'],
    ['-800w', 'is neither a width (such as 800w) nor a preset name'],
    ['800 w', 'is neither a width (such as 800w) nor a preset name'],
    ['thumb-400', '"thumb-400" is not a configured preset (OUTPUT_PRESETS: square-2000, banner)'],
    ['constructor', '"constructor" is not a configured preset'],
    ['800w,,400w', 'has an empty spec at position 2'],
    ['800w,', 'has an empty spec at position 2'],
    ['banner,400w,banner', 'lists "banner" twice'],
    ['1w,2w,3w,4w,5w,6w,7w,8w,9w', 'lists 9 specs; at most 8 (MAX_RENDITIONS)'],
  ])('refuses %s', (text, problem) => {
    expect(problemOf(text)).toContain(problem);
  });

  it('takes up to MAX_RENDITIONS specs, and never echoes a long one', () => {
    expect(problemOf('1w,2w,3w,4w,5w,6w,7w,8w')).toBeUndefined();
    expect(problemOf('1w,2w', { presets: PRESETS, maxRenditions: 1 })).toContain('at most 1');
    const long = problemOf(`800w,${'x'.repeat(5_000)}`)!;
    expect(long).toBe('spec 2 is neither a width (such as 800w) nor a preset name');
  });
});
