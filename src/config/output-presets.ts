import { MAX_OUTPUT_SIDE, OUTPUT_FORMATS, type OutputFormat, type OutputQuality } from './output-options.js';

export const RENDITION_FITS = ['inside', 'pad', 'cover'] as const;
/**
 * `inside`: fitted inside the bounds, never enlarged. `pad`: exactly the bounds, the whole image centred
 * on white. `cover`: exactly the bounds, filled and cropped around the most salient part.
 */
export type RenditionFit = (typeof RENDITION_FITS)[number];

/** A named way of writing an image, configured by OUTPUT_PRESETS and asked for in `renditions`. */
interface OutputPreset {
  format: OutputFormat;
  quality: OutputQuality;
  /** Bounds in pixels; null: none (`inside` only: `pad` and `cover` need both). */
  width: number | null;
  height: number | null;
  fit: RenditionFit;
}

export type OutputPresets = Record<string, OutputPreset>;

/** The presets shipped: a marketplace's padded square and a cropped grid thumbnail. */
export const DEFAULT_OUTPUT_PRESETS: OutputPresets = {
  'square-2000': { format: 'jpeg', quality: 85, width: 2000, height: 2000, fit: 'pad' },
  'thumb-400': { format: 'webp', quality: 80, width: 400, height: 400, fit: 'cover' },
};

/**
 * A preset's name: lower-case letters, digits and hyphens (it ends its outputs' keys and URLs), and not
 * a width spec such as `800w`.
 */
const PRESET_NAME = /^(?![0-9]+w$)[a-z0-9][a-z0-9-]{0,39}$/;

const MAX_PRESETS = 64;

const PRESET_KEYS = new Set(['format', 'quality', 'width', 'height', 'fit']);

/** Why OUTPUT_PRESETS' text cannot be used (the value the rules refuse, with its message). */
export class PresetsProblem {
  constructor(readonly message: string) {}
}

const isSide = (value: unknown) =>
  value === undefined ||
  (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_OUTPUT_SIDE);

function presetProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not an object';
  const preset = value as Record<string, unknown>;
  const extra = Object.keys(preset).find((key) => !PRESET_KEYS.has(key));
  if (extra !== undefined) return `has an unknown key "${extra}"`;
  if (!(OUTPUT_FORMATS as readonly unknown[]).includes(preset.format))
    return `format must be one of ${OUTPUT_FORMATS.join(', ')}`;
  const quality = preset.quality;
  if (
    quality !== 'auto' &&
    !(Number.isInteger(quality) && (quality as number) >= 1 && (quality as number) <= 100)
  )
    return 'quality must be an integer from 1 to 100, or "auto"';
  if (!isSide(preset.width) || !isSide(preset.height))
    return `width and height must be integers from 1 to ${MAX_OUTPUT_SIDE}`;
  if (!(RENDITION_FITS as readonly unknown[]).includes(preset.fit))
    return `fit must be one of ${RENDITION_FITS.join(', ')}`;
  if (preset.fit !== 'inside' && (preset.width === undefined || preset.height === undefined))
    return `fit "${preset.fit as string}" needs both width and height`;
  if (preset.width === undefined && preset.height === undefined) return 'needs a width or a height';
  return undefined;
}

/**
 * OUTPUT_PRESETS' JSON object, name → { format, quality, width?, height?, fit }, checked whole; a
 * PresetsProblem saying what is wrong otherwise.
 */
export function parseOutputPresets(text: string): OutputPresets | PresetsProblem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new PresetsProblem('is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return new PresetsProblem('must be a JSON object of preset name → preset');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_PRESETS) return new PresetsProblem(`has more than ${MAX_PRESETS} presets`);
  const presets: OutputPresets = {};
  for (const [name, preset] of entries) {
    if (!PRESET_NAME.test(name))
      return new PresetsProblem(
        `preset name ${JSON.stringify(name.slice(0, 40))} must be 1–40 of a-z 0-9 - (starting with a letter or digit), and not a width such as 800w`,
      );
    const problem = presetProblem(preset);
    if (problem) return new PresetsProblem(`preset "${name}" ${problem}`);
    const { format, quality, width, height, fit } = preset as OutputPreset;
    presets[name] = { format, quality, width: width ?? null, height: height ?? null, fit };
  }
  return presets;
}

/** One output of a request that asked for renditions: its spec (`800w`, a preset's name) resolved. */
export interface Rendition extends OutputPreset {
  spec: string;
}
