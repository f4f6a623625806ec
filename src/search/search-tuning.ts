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
}

/**
 * Chosen by evidence recall on LoCoMo's development conversations (26, 30, 41, 42), each signal
 * on its own and then together; the held-out conversations (43, 44, 47) gain as much from them.
 */
export const DEFAULT_SEARCH_TUNING: SearchTuning = {
  k1: 1.2,
  b: 0.75,
  pairWeight: 0.5,
  variantWeight: 0.5,
  dateBoost: 1,
  neighbourShare: 0.3,
  whenBoost: 0,
};
