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
