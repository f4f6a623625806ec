import { isNearDuplicate } from './information-coverage.js';

/** What coverage selection needs of a text: what it is about and when it was said. */
export interface CoveredText {
  /** Distinct stemmed content words (see `contentTerms`). */
  readonly terms: ReadonlySet<string>;
  readonly createdAt: Date;
}

interface CoverageOptions<T extends CoveredText> {
  /** Information weight of each term (see `termWeights` in information-coverage.ts). */
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
 * the sentences of the offline narrative and the memories a prompt carries; `selectByCoverage` is
 * the same choice by count alone, without costs or dates.
 */
export class CoverageSelection<T extends CoveredText> {
  readonly chosen: T[] = [];
  private readonly covered = new Set<string>();
  private readonly coveredDays = new Set<string>();
  /** For each term, the positions in `chosen` of the texts that have it. */
  private readonly chosenWith = new Map<string, number[]>();
  private used = 0;

  constructor(private readonly options: CoverageOptions<T>) {}

  /** What the chosen texts cost in total. */
  get usedCost(): number {
    return this.used;
  }

  /**
   * Adds texts from `candidates` while they fit within `budget` in total and add information.
   *
   * Lazily: a text's score only falls as others are chosen (its terms get covered, its day
   * represented, and the budget left only shrinks), so a score computed earlier bounds it from
   * above. The best bound is re-scored; if it still beats every other bound it is the best text,
   * exactly the one a full re-scoring of every candidate would take (ties to the earlier
   * candidate), at a fraction of the work.
   */
  fill(candidates: readonly T[], budget: number, maxCount = Number.POSITIVE_INFINITY): void {
    const alreadyChosen = new Set(this.chosen);
    const queue = new BoundQueue<T>();
    candidates
      .filter((text) => !alreadyChosen.has(text))
      .forEach((text, order) => {
        const score = this.scoreOf(text, budget);
        if (score > 0) queue.push({ text, order, bound: score });
      });
    let added = 0;
    while (added < maxCount) {
      const top = queue.pop();
      if (!top) return;
      const score = this.scoreOf(top.text, budget);
      if (score <= 0) continue;
      const next = queue.peek();
      if (next && !ranksBefore({ ...top, bound: score }, next)) {
        queue.push({ ...top, bound: score });
        continue;
      }
      if (this.nearDuplicateChosen(top.text)) continue;
      this.take(top.text);
      added += 1;
    }
  }

  /** Gain per unit of cost, or 0 for a text that no longer fits or adds nothing. */
  private scoreOf(text: T, budget: number): number {
    const cost = this.options.costOf(text);
    if (this.used + cost > budget) return 0;
    const gain = this.gainOf(text);
    if (gain <= 0) return 0;
    return gain / Math.max(1, cost) ** this.options.costExponent;
  }

  /** Whether a chosen text says nearly the same as `text` (see `isNearDuplicate`), looked for among those sharing a term with it. */
  private nearDuplicateChosen(text: T): boolean {
    const shared = new Set<number>();
    for (const term of text.terms) for (const position of this.chosenWith.get(term) ?? []) shared.add(position);
    for (const position of shared.keys()) if (isNearDuplicate(this.chosen[position]!.terms, text.terms)) return true;
    return false;
  }

  private gainOf(text: T): number {
    let gain = this.coveredDays.has(dayOf(text)) ? 0 : this.options.newDayGain;
    for (const term of text.terms) {
      if (!this.covered.has(term)) gain += this.options.weights.get(term) ?? 0;
    }
    return gain * this.options.salienceOf(text);
  }

  /** Counts `text` as chosen whatever it adds: what it covers is covered for every later choice. */
  take(text: T): void {
    for (const term of text.terms) {
      const positions = this.chosenWith.get(term);
      if (positions) positions.push(this.chosen.length);
      else this.chosenWith.set(term, [this.chosen.length]);
    }
    this.chosen.push(text);
    this.used += this.options.costOf(text);
    this.coveredDays.add(dayOf(text));
    for (const term of text.terms) this.covered.add(term);
  }
}

interface Bounded<T> {
  text: T;
  /** Position among the candidates: the earlier wins a tie. */
  order: number;
  /** The text's score when last computed, at least its score now. */
  bound: number;
}

function ranksBefore(a: Bounded<unknown>, b: Bounded<unknown>): boolean {
  return a.bound > b.bound || (a.bound === b.bound && a.order < b.order);
}

/** A binary heap of candidates, the best bound first. */
class BoundQueue<T> {
  readonly #heap: Bounded<T>[] = [];

  peek(): Bounded<T> | undefined {
    return this.#heap[0];
  }

  push(entry: Bounded<T>): void {
    const heap = this.#heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!ranksBefore(heap[index]!, heap[parent]!)) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  }

  pop(): Bounded<T> | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let index = 0;
      for (;;) {
        const left = index * 2 + 1;
        const right = left + 1;
        let best = index;
        if (left < heap.length && ranksBefore(heap[left]!, heap[best]!)) best = left;
        if (right < heap.length && ranksBefore(heap[right]!, heap[best]!)) best = right;
        if (best === index) break;
        [heap[index], heap[best]] = [heap[best]!, heap[index]!];
        index = best;
      }
    }
    return top;
  }
}

function dayOf(text: CoveredText): string {
  return text.createdAt.toISOString().slice(0, 10);
}

/**
 * Up to `limit` of the candidates, chosen greedily by the weight of the terms they add to those
 * already chosen: each step takes the one that says most that is not said yet, skipping
 * near-duplicates of a chosen one; earlier candidates win ties. Stops when nothing adds information.
 * The coverage selection above with every text costing the same and no dates.
 */
export function selectByCoverage<T>(
  candidates: readonly T[],
  termsOf: (candidate: T) => ReadonlySet<string>,
  weights: ReadonlyMap<string, number>,
  limit: number,
): T[] {
  const selection = new CoverageSelection<{ candidate: T; terms: ReadonlySet<string>; createdAt: Date }>({
    weights,
    costOf: () => 1,
    newDayGain: 0,
    costExponent: 0,
    salienceOf: () => 1,
  });
  const undated = new Date(0);
  selection.fill(
    candidates.map((candidate) => ({ candidate, terms: termsOf(candidate), createdAt: undated })),
    Number.POSITIVE_INFINITY,
    limit,
  );
  return selection.chosen.map((text) => text.candidate);
}
