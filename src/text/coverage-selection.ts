/** What coverage selection needs of a text: what it is about and when it was said. */
export interface CoveredText {
  /** Distinct stemmed content words (see `contentTerms`). */
  readonly terms: ReadonlySet<string>;
  readonly createdAt: Date;
}

interface CoverageOptions<T extends CoveredText> {
  /** Information weight of each term (see `termWeights`). */
  weights: ReadonlyMap<string, number>;
  /** What a text takes of the budget (words, characters). */
  costOf: (text: T) => number;
  /** Extra gain for the first text of a day not yet represented: a life is spread over time. */
  newDayGain: number;
  /** Gain is divided by cost to this power: 1 favours short dense texts, 0 ignores length. */
  costExponent: number;
  /** Gain multiplier from what kind of statement a text is; 1 when every text counts alike. */
  salienceOf: (text: T) => number;
}

/**
 * Greedy weighted coverage within a budget: each step takes the text whose not-yet-covered terms
 * weigh most per unit of cost, skipping near-duplicates of what is already chosen. Used to choose
 * the sentences of the offline narrative and the memories a prompt carries.
 */
export class CoverageSelection<T extends CoveredText> {
  readonly chosen: T[] = [];
  private readonly covered = new Set<string>();
  private readonly coveredDays = new Set<string>();
  private used = 0;

  constructor(private readonly options: CoverageOptions<T>) {}

  /** What the chosen texts cost in total. */
  get usedCost(): number {
    return this.used;
  }

  /** Adds texts from `candidates` while they fit within `budget` in total and add information. */
  fill(candidates: readonly T[], budget: number, maxCount = Number.POSITIVE_INFINITY): void {
    let added = 0;
    const alreadyChosen = new Set(this.chosen);
    const pool = candidates.filter((text) => !alreadyChosen.has(text));
    while (added < maxCount) {
      let best: T | undefined;
      let bestIndex = -1;
      let bestScore = 0;
      for (let index = 0; index < pool.length; index += 1) {
        const text = pool[index]!;
        const cost = this.options.costOf(text);
        if (this.used + cost > budget) continue;
        const gain = this.gainOf(text);
        if (gain <= 0) continue;
        const score = gain / Math.max(1, cost) ** this.options.costExponent;
        if (score > bestScore) {
          best = text;
          bestIndex = index;
          bestScore = score;
        }
      }
      if (!best) return;
      pool.splice(bestIndex, 1);
      if (this.chosen.some((chosen) => isNearDuplicate(chosen.terms, best.terms))) continue;
      this.take(best);
      added += 1;
    }
  }

  private gainOf(text: T): number {
    let gain = this.coveredDays.has(dayOf(text)) ? 0 : this.options.newDayGain;
    for (const term of text.terms) {
      if (!this.covered.has(term)) gain += this.options.weights.get(term) ?? 0;
    }
    return gain * this.options.salienceOf(text);
  }

  private take(text: T): void {
    this.chosen.push(text);
    this.used += this.options.costOf(text);
    this.coveredDays.add(dayOf(text));
    for (const term of text.terms) this.covered.add(term);
  }
}

function dayOf(text: CoveredText): string {
  return text.createdAt.toISOString().slice(0, 10);
}

/**
 * How much information each term carries for this user, from the user's own texts (an IDF):
 * the user's name, said in nearly every memory, weighs almost nothing; a word said once weighs most.
 */
export function termWeights(texts: readonly CoveredText[]): Map<string, number> {
  const documentFrequency = new Map<string, number>();
  for (const text of texts) {
    for (const term of text.terms) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  }
  const weights = new Map<string, number>();
  for (const [term, frequency] of documentFrequency) {
    weights.set(term, Math.log((texts.length + 1) / frequency));
  }
  return weights;
}

/** Two texts whose content words mostly coincide say the same thing; the second adds nothing. */
export function isNearDuplicate(a: ReadonlySet<string>, b: ReadonlySet<string>, threshold = 0.6): boolean {
  if (a.size === 0 || b.size === 0) return false;
  let shared = 0;
  for (const term of a) if (b.has(term)) shared += 1;
  return shared / (a.size + b.size - shared) >= threshold;
}
