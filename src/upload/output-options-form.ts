import {
  MAX_OUTPUT_SIDE,
  OUTPUT_FORMATS,
  type OutputFormat,
  type OutputOptions,
  type OutputQuality,
} from '../config/output-options.js';
import type { CsvProblem } from './csv-validation.error.js';
import { CsvValidationError } from './csv-validation.error.js';
import { type RenditionRules, renditionsOf } from './renditions-form.js';

/** The output fields of the upload form, as multer hands them over: text, absent, or repeated (an array). */
export interface OutputFields {
  format?: unknown;
  quality?: unknown;
  max_width?: unknown;
  max_height?: unknown;
  renditions?: unknown;
  refresh?: unknown;
}

type Parsed<T> = { value: T } | { problem: string };

/** A field sent once as text, trimmed; absent or empty means "use the default". */
function textOf(value: unknown): Parsed<string | undefined> {
  if (value === undefined || value === null) return { value: undefined };
  if (typeof value !== 'string') return { problem: 'not a single text value' };
  const text = value.trim();
  return { value: text === '' ? undefined : text };
}

function formatOf(text: string): Parsed<OutputFormat> {
  const format = text.toLowerCase();
  return (OUTPUT_FORMATS as readonly string[]).includes(format)
    ? { value: format as OutputFormat }
    : { problem: `must be one of ${OUTPUT_FORMATS.join(', ')}` };
}

function qualityOf(text: string): Parsed<OutputQuality> {
  if (text.toLowerCase() === 'auto') return { value: 'auto' };
  return /^[0-9]{1,3}$/.test(text) && Number(text) >= 1 && Number(text) <= 100
    ? { value: Number(text) }
    : { problem: 'must be an integer from 1 to 100, or auto' };
}

function sideOf(text: string): Parsed<number> {
  return /^[0-9]{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_OUTPUT_SIDE
    ? { value: Number(text) }
    : { problem: `must be an integer from 1 to ${MAX_OUTPUT_SIDE} (pixels)` };
}

/** `refresh`: `true` or `false` (any case); a checkbox's `on` is `true`. */
function flagOf(text: string): Parsed<boolean> {
  const flag = text.toLowerCase();
  if (flag === 'true' || flag === 'on') return { value: true };
  if (flag === 'false') return { value: false };
  return { problem: 'must be true or false' };
}

/**
 * The request's output options: each field sent overrides the configured default, and every bad field
 * is named in one 400 (nothing is stored). Values are never echoed: a field may be large. `renditions`,
 * when sent, adds several outputs per image (see renditionsOf); without it there is one, as before.
 */
export function outputOptionsOf(
  fields: OutputFields,
  defaults: OutputOptions,
  rules: RenditionRules,
): OutputOptions {
  const problems: CsvProblem[] = [];
  const field = <T>(name: keyof OutputFields, parse: (text: string) => Parsed<T>, fallback: T): T => {
    const text = textOf(fields[name]);
    const parsed =
      'problem' in text ? text : text.value === undefined ? { value: fallback } : parse(text.value);
    if ('value' in parsed) return parsed.value;
    problems.push({ row: null, column: name, message: `${name} ${parsed.problem}` });
    return fallback;
  };
  const options: OutputOptions = {
    format: field('format', formatOf, defaults.format),
    quality: field('quality', qualityOf, defaults.quality),
    maxWidth: field('max_width', sideOf, defaults.maxWidth),
    maxHeight: field('max_height', sideOf, defaults.maxHeight),
  };
  const renditions = field('renditions', (text) => renditionsOf(text, options, rules), undefined);
  if (renditions) options.renditions = renditions;
  if (field('refresh', flagOf, false)) options.refresh = true;
  if (problems.length > 0) {
    const message = `${problems.map((problem) => problem.message).join('; ')}; nothing was stored`;
    throw new CsvValidationError(message, problems);
  }
  return options;
}
