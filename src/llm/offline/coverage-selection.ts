import { isNearDuplicate, type PreparedMemory } from './prepared-memory.js';

interface CoverageOptions {
  /** Information weight of each term (see `termWeights`). */
  weights: ReadonlyMap<string, number>;
  /** Words a memory will take in the text, date prefix included. */
  costOf: (memory: PreparedMemory) => number;
  /** Extra gain for the first memory of a day not yet represented: a life is spread over time. */
  newDayGain: number;
  /** Gain is divided by cost to this power: 1 favours short dense sentences, 0 ignores length. */
  costExponent: number;
  /** Gain multiplier from what kind of statement a memory is (see `statementKind`, `opensConversation`). */
  salienceOf: (memory: PreparedMemory) => number;
}

/**
 * Greedy weighted coverage within a word budget: each step takes the memory whose not-yet-covered
 * terms weigh most per word, skipping near-duplicates of what is already chosen.
 */
export class CoverageSelection {
  readonly chosen: PreparedMemory[] = [];
  private readonly covered = new Set<string>();
  private readonly coveredDays = new Set<string>();
  private words = 0;

  constructor(private readonly options: CoverageOptions) {}

  get usedWords(): number {
    return this.words;
  }

  /** Adds memories from `candidates` while they fit within `budgetWords` in total and add information. */
  fill(candidates: readonly PreparedMemory[], budgetWords: number, maxCount = Number.POSITIVE_INFINITY): void {
    let added = 0;
    const pool = candidates.filter((memory) => !this.chosen.includes(memory));
    while (added < maxCount) {
      let best: PreparedMemory | undefined;
      let bestScore = 0;
      for (const memory of pool) {
        const cost = this.options.costOf(memory);
        if (this.words + cost > budgetWords) continue;
        const gain = this.gainOf(memory);
        if (gain <= 0) continue;
        const score = gain / Math.max(1, cost) ** this.options.costExponent;
        if (score > bestScore) {
          best = memory;
          bestScore = score;
        }
      }
      if (!best) return;
      pool.splice(pool.indexOf(best), 1);
      if (this.chosen.some((chosen) => isNearDuplicate(chosen.terms, best.terms))) continue;
      this.take(best);
      added += 1;
    }
  }

  private gainOf(memory: PreparedMemory): number {
    let gain = this.coveredDays.has(dayOf(memory)) ? 0 : this.options.newDayGain;
    for (const term of memory.terms) {
      if (!this.covered.has(term)) gain += this.options.weights.get(term) ?? 0;
    }
    return gain * this.options.salienceOf(memory);
  }

  private take(memory: PreparedMemory): void {
    this.chosen.push(memory);
    this.words += this.options.costOf(memory);
    this.coveredDays.add(dayOf(memory));
    for (const term of memory.terms) this.covered.add(term);
  }
}

function dayOf(memory: PreparedMemory): string {
  return memory.createdAt.toISOString().slice(0, 10);
}

/**
 * How much information each term carries for this user, from the user's own memories (an IDF):
 * the user's name, said in nearly every memory, weighs almost nothing; a word said once weighs most.
 */
export function termWeights(memories: readonly PreparedMemory[]): Map<string, number> {
  const documentFrequency = new Map<string, number>();
  for (const memory of memories) {
    for (const term of memory.terms) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  }
  const weights = new Map<string, number>();
  for (const [term, frequency] of documentFrequency) {
    weights.set(term, Math.log((memories.length + 1) / frequency));
  }
  return weights;
}
