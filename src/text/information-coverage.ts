/**
 * How much information each term carries among a user's texts (an IDF over their term sets): the
 * user's name, said in nearly every memory, weighs almost nothing; a word said once weighs most.
 */
export function termWeights(termSets: readonly ReadonlySet<string>[]): Map<string, number> {
  const documentFrequency = new Map<string, number>();
  for (const terms of termSets) {
    for (const term of terms) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  }
  const weights = new Map<string, number>();
  for (const [term, frequency] of documentFrequency) weights.set(term, Math.log((termSets.length + 1) / frequency));
  return weights;
}

/** Two texts whose content terms mostly coincide say the same thing; the second adds nothing. */
export function isNearDuplicate(a: ReadonlySet<string>, b: ReadonlySet<string>, threshold = 0.6): boolean {
  if (a.size === 0 || b.size === 0) return false;
  let shared = 0;
  for (const term of a) if (b.has(term)) shared += 1;
  return shared / (a.size + b.size - shared) >= threshold;
}

/**
 * Up to `limit` of the candidates, chosen greedily by the weight of the terms they add to those
 * already chosen: each step takes the one that says most that is not said yet, skipping
 * near-duplicates of a chosen one; earlier candidates win ties. Stops when nothing adds information.
 */
export function selectByCoverage<T>(
  candidates: readonly T[],
  termsOf: (candidate: T) => ReadonlySet<string>,
  weights: ReadonlyMap<string, number>,
  limit: number,
): T[] {
  const chosen: T[] = [];
  const covered = new Set<string>();
  const pool = [...candidates];
  while (chosen.length < limit) {
    let bestAt = -1;
    let bestGain = 0;
    pool.forEach((candidate, at) => {
      let gain = 0;
      for (const term of termsOf(candidate)) if (!covered.has(term)) gain += weights.get(term) ?? 0;
      if (gain > bestGain) {
        bestAt = at;
        bestGain = gain;
      }
    });
    if (bestAt < 0) break;
    const [best] = pool.splice(bestAt, 1) as [T];
    if (chosen.some((taken) => isNearDuplicate(termsOf(taken), termsOf(best)))) continue;
    chosen.push(best);
    for (const term of termsOf(best)) covered.add(term);
  }
  return chosen;
}
