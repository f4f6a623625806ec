/** One answerable question's outcome: where the first evidence memory came, searched and attached. */
export interface QuestionRanks {
  readonly category: number;
  /** 0-based rank among `search_memories`' results (or the index's, in process); null when absent. */
  readonly search: number | null;
  /** 0-based rank among the memories attached to the context; null when absent. */
  readonly attached: number | null;
}

/** The figures a fold reports, each a share from 0 to 1. */
export const FIGURES = [
  { key: 'coverage', label: 'offline narrative: event coverage' },
  { key: 'search5', label: '`search_memories` recall@5' },
  { key: 'search10', label: '`search_memories` recall@10' },
  { key: 'search20', label: '`search_memories` recall@20' },
  { key: 'attached', label: 'attached memories: recall' },
  { key: 'multiHop', label: 'recall@10, multi-hop' },
  { key: 'temporal', label: 'recall@10, temporal' },
  { key: 'openDomain', label: 'recall@10, open-domain' },
  { key: 'singleHop', label: 'recall@10, single-hop' },
] as const;

export type FigureKey = (typeof FIGURES)[number]['key'];
/** Each figure, or null when the group has nothing it measures (no users, or no question of a kind). */
export type Figures = Record<FigureKey, number | null>;

/** LoCoMo's question categories, by the figure that reports their recall@10. */
const CATEGORY_FIGURES: Record<number, FigureKey> = { 1: 'multiHop', 2: 'temporal', 3: 'openDomain', 4: 'singleHop' };

/**
 * The figures of a group of users: event coverage is the mean over the users, recall is over all
 * their questions together (as the report's overall figures are).
 */
export function foldFigures(coverages: readonly number[], questions: readonly QuestionRanks[]): Figures {
  const share = (subset: readonly QuestionRanks[], hit: (question: QuestionRanks) => boolean) =>
    subset.length === 0 ? null : subset.filter(hit).length / subset.length;
  const within = (k: number) => (rank: number | null) => rank !== null && rank < k;
  const figures: Figures = {
    coverage: coverages.length === 0 ? null : coverages.reduce((sum, value) => sum + value, 0) / coverages.length,
    search5: share(questions, (q) => within(5)(q.search)),
    search10: share(questions, (q) => within(10)(q.search)),
    search20: share(questions, (q) => within(20)(q.search)),
    attached: share(questions, (q) => q.attached !== null),
    multiHop: null,
    temporal: null,
    openDomain: null,
    singleHop: null,
  };
  for (const [category, key] of Object.entries(CATEGORY_FIGURES)) {
    figures[key] = share(
      questions.filter((q) => q.category === Number(category)),
      (q) => within(10)(q.search),
    );
  }
  return figures;
}
