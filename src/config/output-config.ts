import { IsIn, IsInt, IsNumber, Max, Min, ValidateBy } from 'class-validator';
import type { Concern } from './concern.js';
import {
  MAX_OUTPUT_SIDE,
  OUTPUT_FORMATS,
  type OutputFormat,
  type OutputOptions,
  type OutputQuality,
} from './output-options.js';
import {
  DEFAULT_OUTPUT_PRESETS,
  type OutputPresets,
  parseOutputPresets,
  PresetsProblem,
} from './output-presets.js';
import { asNumber, derived, Variable } from './variable.js';

/**
 * Just above the SSIM of sharp's libjpeg-turbo q50 output (the seed's quality; Pillow uses the same IJG
 * tables) on the 6 MP photo fixture, the harder of the two photos (0.98671), measured as the pipeline
 * scores: see docs/compression.md for the numbers.
 */
const DEFAULT_AUTO_QUALITY_TARGET = 0.9868;

/** `auto`, or read as a number by OUTPUT_QUALITY's `read` when it is an integer from 1 to 100. */
const isQuality = (value: unknown) => value === 'auto' || typeof value === 'number';

/** How a request's images are written when its upload does not say, and their previews. */
export class OutputConfig {
  @Variable('OUTPUT_FORMAT', {
    default: 'jpeg',
    description: 'Default `format` of a request: `jpeg`, `webp` or `avif`',
  })
  @IsIn(OUTPUT_FORMATS, { message: `OUTPUT_FORMAT must be one of ${OUTPUT_FORMATS.join(', ')}` })
  readonly format: OutputFormat;

  /** OUTPUT_QUALITY's name before other formats: still counts when OUTPUT_QUALITY is unset. */
  @Variable('JPEG_QUALITY', {
    read: asNumber,
    unlisted: true,
    description: 'The name of `OUTPUT_QUALITY` before other formats',
  })
  @IsInt()
  @Min(1)
  @Max(100)
  readonly jpegQuality?: number;

  @Variable('OUTPUT_QUALITY', {
    read: (text) => (/^([1-9][0-9]?|100)$/.test(text) ? Number(text) : text),
    default: derived((output: OutputConfig) => output.jpegQuality ?? 50),
    shown: '`JPEG_QUALITY`, else `50`',
    description:
      'Default `quality` of a request: 1–100 or `auto`. `JPEG_QUALITY` (1–100), its name before other formats, still counts when this is unset',
  })
  @ValidateBy({
    name: 'isOutputQuality',
    validator: {
      validate: isQuality,
      defaultMessage: () => 'OUTPUT_QUALITY must be an integer from 1 to 100, or auto',
    },
  })
  readonly quality: OutputQuality;

  @Variable('OUTPUT_MAX_WIDTH', {
    read: asNumber,
    default: null,
    shown: 'none',
    description: `Default \`max_width\` of a request (1–${MAX_OUTPUT_SIDE} pixels)`,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_OUTPUT_SIDE)
  readonly maxWidth: number | null;

  @Variable('OUTPUT_MAX_HEIGHT', {
    read: asNumber,
    default: null,
    shown: 'none',
    description: `Default \`max_height\` of a request (1–${MAX_OUTPUT_SIDE} pixels)`,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_OUTPUT_SIDE)
  readonly maxHeight: number | null;

  /** The SSIM (luma, at 512 px) a `quality=auto` output must reach. */
  @Variable('AUTO_QUALITY_TARGET', {
    read: asNumber,
    default: DEFAULT_AUTO_QUALITY_TARGET,
    description:
      'The SSIM (luma, downscaled to fit 512 px) a `quality=auto` output must reach, 0.5–0.9999; calibrated in [compression](compression.md#auto_quality_target)',
  })
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'AUTO_QUALITY_TARGET must be a number' })
  @Min(0.5)
  @Max(0.9999)
  readonly autoQualityTarget: number;

  /** The longer side of an output's WebP preview (the dashboard's thumbnails), in pixels. */
  @Variable('THUMBNAIL_SIZE', {
    read: asNumber,
    default: 320,
    description:
      "Longer side, in pixels, of each output's WebP preview (`thumbnail_url`, the dashboard's grid), 32–1024",
  })
  @IsInt()
  @Min(32)
  @Max(1024)
  readonly thumbnailSize: number;

  @Variable('OUTPUT_PRESETS', {
    read: parseOutputPresets,
    default: derived(() => DEFAULT_OUTPUT_PRESETS),
    shown: '`square-2000` (JPEG q85, 2000×2000 `pad`) and `thumb-400` (WebP q80, 400×400 `cover`)',
    description:
      'The presets a request may name in `renditions`: a JSON object, name (a-z 0-9 -) → `{"format", "quality" (1–100 or "auto"), "width"?, "height"?, "fit"}` with `fit` one of `inside`, `pad`, `cover` (a `pad` or `cover` preset at most `MAX_IMAGE_PIXELS` pixels); replaces the shipped ones (see [renditions](api.md#renditions))',
  })
  @ValidateBy({
    name: 'isOutputPresets',
    validator: {
      validate: (value: unknown) => typeof value === 'object' && !(value instanceof PresetsProblem),
      defaultMessage: (args) =>
        `OUTPUT_PRESETS ${args?.value instanceof PresetsProblem ? args.value.message : 'must be a JSON object'}`,
    },
  })
  readonly presets: OutputPresets;

  @Variable('MAX_RENDITIONS', {
    read: asNumber,
    default: 8,
    description: 'Most specs a request may list in `renditions`, 1–32: each is one more output per image',
  })
  @IsInt()
  @Min(1)
  @Max(32)
  readonly maxRenditions: number;

  /** How a request's images are written when its upload does not say (format, quality, bounds). */
  get defaults(): OutputOptions {
    return { format: this.format, quality: this.quality, maxWidth: this.maxWidth, maxHeight: this.maxHeight };
  }
}

export const output: Concern<OutputConfig> = {
  title: 'Output',
  schema: OutputConfig,
  // `pad` and `cover` make exactly their bounds whatever the source: a 1×1 image would become them.
  check: ({ presets }, config, refuse) =>
    Object.entries(presets)
      .filter(([, preset]) => preset.fit !== 'inside')
      .filter(([, preset]) => preset.width! * preset.height! > config.limits.maxImagePixels)
      .map(([name, preset]) =>
        refuse(
          'OUTPUT_PRESETS',
          `preset "${name}" (${preset.fit} ${preset.width}×${preset.height}) makes more pixels than MAX_IMAGE_PIXELS (${config.limits.maxImagePixels})`,
        ),
      ),
};
