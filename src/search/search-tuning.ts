/** The numbers that shape the memory index's ranking; none depends on any user or data set. */
export interface SearchTuning {
  /** BM25 term-frequency saturation. */
  k1: number;
  /** BM25 length normalisation. */
  b: number;
  /** Weight of two adjacent query words found adjacent in a memory, beside one word's 1. */
  pairWeight: number;
  /** Weight of a memory word standing in for a query word the user never used (a misspelling, another form). */
  variantWeight: number;
  /** Score multiplier added for a memory from the time a query names ("in May 2023", "on 3 June"). */
  dateBoost: number;
  /** Share of the best score given to memories of the same conversation as the best ones. */
  neighbourShare: number;
  /** Score multiplier added for a memory that places what it tells in time, for a question about when. */
  whenBoost: number;
  /**
   * Weight of the meaning signal: the cosine of the query's and a memory's word vectors, scaled so
   * the closest memory gains this share of the query's best BM25 score; 0 turns it off.
   */
  meaningWeight: number;
}

/**
 * k1 and b are BM25's textbook values, a variant counts as the word it stands for and the closest
 * memory in meaning gains half the best score; the other numbers are what the evaluation's tuning
 * search chooses on all of LoCoMo's conversations (see scripts/eval/tuning-plan.ts), and what it
 * chose on nearly every fold of six conversations: measured on the seventh, left out, they lose at
 * most 0.009 of recall@10 of any kind of question against the folds they were chosen on (`npm run eval`).
 */
export const DEFAULT_SEARCH_TUNING: SearchTuning = {
  k1: 1.2,
  b: 0.75,
  pairWeight: 0.25,
  variantWeight: 1,
  dateBoost: 2,
  neighbourShare: 0.5,
  whenBoost: 1,
  meaningWeight: 0.5,
};
