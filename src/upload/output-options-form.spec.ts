import type { OutputOptions } from '../config/output-options.js';
import { DEFAULT_OUTPUT_PRESETS } from '../config/output-presets.js';
import { CsvValidationError } from './csv-validation.error.js';
import { type OutputFields, outputOptionsOf } from './output-options-form.js';

const DEFAULTS: OutputOptions = { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null };
const RULES = { presets: DEFAULT_OUTPUT_PRESETS, maxRenditions: 8 };

function problemsOf(fields: OutputFields): CsvValidationError {
  try {
    outputOptionsOf(fields, DEFAULTS, RULES);
  } catch (error) {
    expect(error).toBeInstanceOf(CsvValidationError);
    return error as CsvValidationError;
  }
  throw new Error('expected the fields to be refused');
}

describe('outputOptionsOf', () => {
  it.each<[string, OutputFields, OutputOptions]>([
    ['no field: the defaults', {}, DEFAULTS],
    ['empty fields: the defaults', { format: '', quality: ' ', max_width: '', max_height: '' }, DEFAULTS],
    ['webp', { format: 'webp' }, { ...DEFAULTS, format: 'webp' }],
    ['AVIF, any case', { format: 'AVIF' }, { ...DEFAULTS, format: 'avif' }],
    ['quality 1', { quality: '1' }, { ...DEFAULTS, quality: 1 }],
    ['quality 100', { quality: '100' }, { ...DEFAULTS, quality: 100 }],
    ['quality auto', { quality: 'Auto' }, { ...DEFAULTS, quality: 'auto' }],
    ['bounds', { max_width: '800', max_height: ' 600 ' }, { ...DEFAULTS, maxWidth: 800, maxHeight: 600 }],
    ['the largest bound', { max_width: '16383' }, { ...DEFAULTS, maxWidth: 16383 }],
    ['refresh', { refresh: 'TRUE' }, { ...DEFAULTS, refresh: true }],
    ['refresh from a checkbox', { refresh: 'on' }, { ...DEFAULTS, refresh: true }],
    ['refresh=false: not kept', { refresh: 'false' }, DEFAULTS],
  ])('%s', (_name, fields, expected) => {
    expect(outputOptionsOf(fields, DEFAULTS, RULES)).toEqual(expected);
  });

  it('keeps configured defaults for the fields not sent', () => {
    const defaults: OutputOptions = { format: 'webp', quality: 'auto', maxWidth: 1200, maxHeight: null };
    expect(outputOptionsOf({ max_height: '300' }, defaults, RULES)).toEqual({ ...defaults, maxHeight: 300 });
  });

  it.each<[string, OutputFields, string]>([
    ['png', { format: 'png' }, 'format must be one of jpeg, webp, avif'],
    ['format twice', { format: ['jpeg', 'webp'] }, 'format not a single text value'],
    ['quality 0', { quality: '0' }, 'quality must be an integer from 1 to 100, or auto'],
    ['quality 101', { quality: '101' }, 'quality must be an integer from 1 to 100, or auto'],
    ['quality 50.5', { quality: '50.5' }, 'quality must be an integer from 1 to 100, or auto'],
    ['quality best', { quality: 'best' }, 'quality must be an integer from 1 to 100, or auto'],
    ['max_width 0', { max_width: '0' }, 'max_width must be an integer from 1 to 16383 (pixels)'],
    ['max_width -5', { max_width: '-5' }, 'max_width must be an integer from 1 to 16383 (pixels)'],
    ['max_height 1e3', { max_height: '1e3' }, 'max_height must be an integer from 1 to 16383 (pixels)'],
    ['max_height 16384', { max_height: '16384' }, 'max_height must be an integer from 1 to 16383 (pixels)'],
    ['renditions twice', { renditions: ['800w', '400w'] }, 'renditions not a single text value'],
    ['renditions 0w', { renditions: '0w' }, 'renditions "0w": a width must be from 1w to 16383w'],
    ['refresh yes', { refresh: 'yes' }, 'refresh must be true or false'],
  ])('refuses %s with a 400 naming the field', (_name, fields, message) => {
    const error = problemsOf(fields);
    expect(error.kind).toBe('invalid');
    expect(error.message).toBe(`${message}; nothing was stored`);
    expect(error.problems).toEqual([{ row: null, column: Object.keys(fields)[0], message }]);
  });

  it('names every bad field at once, without echoing the values', () => {
    const long = 'x'.repeat(10_000);
    const error = problemsOf({ format: long, quality: long, max_width: '800' });
    expect(error.problems.map((problem) => problem.column)).toEqual(['format', 'quality']);
    expect(error.message.length).toBeLessThan(200);
  });

  it('resolves renditions with the request\u2019s own format and quality for widths', () => {
    const options = outputOptionsOf(
      { format: 'webp', quality: '70', renditions: '800w, thumb-400' },
      DEFAULTS,
      RULES,
    );
    expect(options.renditions).toEqual([
      { spec: '800w', format: 'webp', quality: 70, width: 800, height: null, fit: 'inside' },
      { spec: 'thumb-400', ...DEFAULT_OUTPUT_PRESETS['thumb-400'] },
    ]);
    expect(outputOptionsOf({ renditions: ' ' }, DEFAULTS, RULES)).toEqual(DEFAULTS);
    expect('renditions' in outputOptionsOf({}, DEFAULTS, RULES)).toBe(false);
  });
});
