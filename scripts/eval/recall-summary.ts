/** One question's outcome for one way of finding memories: where the first evidence memory came, if at all. */
export interface RankedQuestion {
  readonly category: number;
  /** 0-based position of the first memory carrying the question's evidence; null when none was returned. */
  readonly rank: number | null;
}

export interface RecallSummary {
  questions: number;
  /** Share of questions with an evidence memory among the first k returned, by k. */
  recall: Record<string, number>;
  byCategory: Record<string, { questions: number; recall: Record<string, number> }>;
}

export const RECALL_CUTOFFS = [5, 10, 20] as const;

/** Evidence recall at each cutoff, overall and per question category. */
export function recallSummary(questions: readonly RankedQuestion[]): RecallSummary {
  const at = (subset: readonly RankedQuestion[]) =>
    Object.fromEntries(
      RECALL_CUTOFFS.map((k) => [k, subset.length === 0 ? 0 : subset.filter(({ rank }) => rank !== null && rank < k).length / subset.length]),
    );
  const categories = [...new Set(questions.map(({ category }) => category))].sort((a, b) => a - b);
  return {
    questions: questions.length,
    recall: at(questions),
    byCategory: Object.fromEntries(
      categories.map((category) => {
        const subset = questions.filter((question) => question.category === category);
        return [category, { questions: subset.length, recall: at(subset) }];
      }),
    ),
  };
}
