/** One trial encoding: its bytes and its similarity to the source. */
export interface Trial {
  quality: number;
  data: Buffer;
  score: number;
}

export interface QualitySearch {
  /** Lowest and highest quality tried, and the step between candidates. */
  min: number;
  max: number;
  step: number;
  /** The similarity an output must reach. */
  target: number;
}

/** The most encodes a search over these bounds makes (a bisection over the candidates). */
export function maxEncodesOf(search: QualitySearch): number {
  const candidates = Math.floor((search.max - search.min) / search.step) + 1;
  return Math.ceil(Math.log2(candidates + 1));
}

/**
 * The lowest quality among `min, min + step, …, max` whose encoding reaches the target, by bisection
 * (similarity grows with quality, give or take noise far below the target's precision); when even the
 * highest candidate falls short, the highest candidate, whose score says so (a bisection that never
 * succeeds ends on it). At most maxEncodesOf(search) encodes.
 */
export async function searchQuality(
  search: QualitySearch,
  encode: (quality: number) => Promise<Trial>,
): Promise<{ best: Trial; encodes: number }> {
  const candidates = Math.floor((search.max - search.min) / search.step) + 1;
  const qualityAt = (index: number) => search.min + index * search.step;
  let low = 0;
  let high = candidates - 1;
  let best: Trial | undefined;
  let highest: Trial | undefined;
  let encodes = 0;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const trial = await encode(qualityAt(middle));
    encodes++;
    if (middle === candidates - 1) highest = trial;
    if (trial.score >= search.target) {
      best = trial;
      high = middle - 1;
    } else {
      low = middle + 1;
    }
  }
  return { best: (best ?? highest)!, encodes };
}
