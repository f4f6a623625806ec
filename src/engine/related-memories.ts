import { MemoryIndex, type IndexedMemory } from '../search/memory-index.js';
import { DEFAULT_SEARCH_TUNING, type SearchTuning } from '../search/search-tuning.js';

/**
 * The search's ranking without the lift a memory gets from its conversation, nor the one for saying
 * when, nor meaning: a memory told beside the best match is context for a question, but not related
 * to a piece of news, a memory that starts "When I…" asks nothing, and a revision is given the
 * older memories that share the news's words (a memory near it in meaning is already in the
 * narrative's text, or says something else).
 */
const RELATED_TUNING: SearchTuning = { ...DEFAULT_SEARCH_TUNING, neighbourShare: 0, whenBoost: 0, meaningWeight: 0 };

/**
 * A match is related when it scores at least this share of the best match: below, it shares only
 * words said everywhere (the user's own name matches every memory).
 */
const MIN_SHARE_OF_BEST = 0.5;

export interface RelatedMemoryLimits {
  /** At most this many related memories in all. */
  max: number;
  /** At most this many for any one added memory. */
  perAddedMemory: number;
  /** At most this many characters of related memories. */
  budgetChars: number;
}

/**
 * The older memories most related to the added ones: each added memory's text searched among the
 * older memories (BM25 with the index's signals but conversations), the best match of every added memory first, then
 * the second best of each, and so on, within the limits; a match far below the best of its search
 * is not related. Best first.
 */
export function relatedMemories<M extends IndexedMemory>(older: readonly M[], added: readonly IndexedMemory[], limits: RelatedMemoryLimits): M[] {
  if (older.length === 0 || added.length === 0 || limits.max <= 0) return [];
  const index = MemoryIndex.build(older, RELATED_TUNING);
  const matchesOfEach = added.map((memory) => {
    const ranked = index.rank(memory.content, limits.perAddedMemory);
    const best = ranked[0]?.score ?? 0;
    return ranked.filter(({ score }) => score >= best * MIN_SHARE_OF_BEST).map(({ memory: match }) => match);
  });
  const chosen = new Map<string, M>();
  let usedChars = 0;
  for (let rank = 0; rank < limits.perAddedMemory; rank += 1) {
    for (const matches of matchesOfEach) {
      const match = matches[rank];
      if (!match || chosen.has(match.id) || usedChars + match.content.length > limits.budgetChars) continue;
      chosen.set(match.id, match);
      usedChars += match.content.length;
      if (chosen.size >= limits.max) return [...chosen.values()];
    }
  }
  return [...chosen.values()];
}
