/**
 * Assigns conversations to `folds` folds, deterministically: conversations sorted (numbers by
 * value), then dealt out in turn, so that fold `i` holds the conversations at positions `i`,
 * `i + folds`, … Every user of a conversation lands in the same fold, so a fold's people are never
 * seen by the tuning that is measured on them.
 */
export function assignFolds(conversations: Iterable<string>, folds: number): Map<string, number> {
  const distinct = [...new Set(conversations)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (!Number.isInteger(folds) || folds < 2 || folds > distinct.length) {
    throw new RangeError(`Cross-validation needs from 2 to ${distinct.length} folds (one per conversation at most); got ${folds}.`);
  }
  return new Map(distinct.map((conversation, position) => [conversation, position % folds]));
}
