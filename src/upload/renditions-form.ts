import { MAX_OUTPUT_SIDE, type OutputOptions } from '../config/output-options.js';
import type { OutputPresets, Rendition } from '../config/output-presets.js';

/** What the `renditions` field may name: the configured presets, the most specs, the request's own options. */
export interface RenditionRules {
  presets: OutputPresets;
  maxRenditions: number;
}

/** A width spec: `800w`, fitted inside that width, never enlarged. */
const WIDTH_SPEC = /^([0-9]+)w$/;

/** What a preset name may look like (see OUTPUT_PRESETS); anything else is neither kind of spec. */
const NAME_SPEC = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** A spec as a message names it: its text when short, else its position (a field may be large). */
function named(spec: string, index: number): string {
  return spec.length <= 40 ? `"${spec}"` : `spec ${index + 1}`;
}

/**
 * The `renditions` field's text, resolved: a comma-separated list of widths (`800w`, written with the
 * request's format and quality) and preset names, at most `maxRenditions`, each once. Returns the
 * renditions in the order given, or what is wrong (the first problem).
 */
export function renditionsOf(
  text: string,
  own: Pick<OutputOptions, 'format' | 'quality'>,
  rules: RenditionRules,
): { value: Rendition[] } | { problem: string } {
  const specs = text.split(',').map((spec) => spec.trim().toLowerCase());
  if (specs.length > rules.maxRenditions)
    return { problem: `lists ${specs.length} specs; at most ${rules.maxRenditions} (MAX_RENDITIONS)` };
  const renditions: Rendition[] = [];
  for (const [index, spec] of specs.entries()) {
    const resolved = resolve(spec, index, own, rules.presets);
    if ('problem' in resolved) return resolved;
    if (renditions.some((rendition) => rendition.spec === resolved.value.spec))
      return { problem: `lists ${named(spec, index)} twice` };
    renditions.push(resolved.value);
  }
  return { value: renditions };
}

function resolve(
  spec: string,
  index: number,
  own: Pick<OutputOptions, 'format' | 'quality'>,
  presets: OutputPresets,
): { value: Rendition } | { problem: string } {
  if (spec === '') return { problem: `has an empty spec at position ${index + 1}` };
  const width = WIDTH_SPEC.exec(spec);
  if (width) {
    const pixels = Number(width[1]);
    if (pixels < 1 || pixels > MAX_OUTPUT_SIDE)
      return { problem: `${named(spec, index)}: a width must be from 1w to ${MAX_OUTPUT_SIDE}w` };
    const { format, quality } = own;
    return { value: { spec: `${pixels}w`, format, quality, width: pixels, height: null, fit: 'inside' } };
  }
  if (!NAME_SPEC.test(spec))
    return { problem: `${named(spec, index)} is neither a width (such as 800w) nor a preset name` };
  const preset = Object.hasOwn(presets, spec) ? presets[spec] : undefined;
  if (!preset) {
    const known = Object.keys(presets);
    const list = known.length > 0 ? known.join(', ') : 'none';
    return { problem: `${named(spec, index)} is not a configured preset (OUTPUT_PRESETS: ${list})` };
  }
  return { value: { spec, ...preset } };
}
