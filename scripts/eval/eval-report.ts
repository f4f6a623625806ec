import type { ReadingOutcome } from './reading-measures.js';
import type { CrossValidation } from './cross-validate-users.js';
import type { RecallSummary } from './recall-summary.js';

/** How much of a user's events one text covers, and how long it is. */
export interface TextCoverage {
  words: number;
  covered: number;
  events: number;
  share: number;
}

export interface QuestionOutcome {
  category: number;
  /** For each way of finding memories, the 0-based rank of the first evidence memory (null: not found). */
  searchMemories: number | null;
  context: number | null;
  memoryIndex: number | null;
  contextSelection: number | null;
  /** How many memories `orchestrate_smart_context` attached, and where its answer came from. */
  contextAttached: number;
  contextSource: string;
}

export interface UserOutcome {
  user: string;
  /** The conversation the user's memories come from (their `metadata.conversation`), for splits. */
  conversation: string;
  memories: number;
  /** The narrative as stored, or null when none was written. */
  narrativeText: string | null;
  narrative: TextCoverage | null;
  /** The narrative's faithfulness and readability, or null when none was written. */
  reading: ReadingOutcome | null;
  baselines: Record<BaselineName, TextCoverage>;
  /** Questions about the user that some memory can answer. */
  questions: QuestionOutcome[];
  /** Questions about the user that no memory carries the evidence of (left out of recall). */
  unanswerable: number;
}

export type BaselineName = 'recent_400' | 'recent_800' | 'recent_same_words';

export interface CoverageSummary {
  users: number;
  /** Mean over users of each user's share of events covered. */
  mean: number;
  meanWords: number;
  maxWords: number;
}

export interface EvalSummary {
  users: number;
  coverage: { narrative: CoverageSummary } & Record<BaselineName, CoverageSummary>;
  recall: {
    searchMemories: RecallSummary;
    context: RecallSummary;
    memoryIndex: RecallSummary;
    contextSelection: RecallSummary;
  };
  context: { meanAttached: number; maxAttached: number; sources: Record<string, number> };
  unanswerable: number;
}

export interface EvalReport {
  date: string;
  dataset: string;
  database: string;
  provider: { name: string; model: string | null };
  node: string;
  /** How many memories the in-process context selection attaches. */
  contextSelectionLimit: number;
  seconds: { import: number; narratives: number; questions: number; crossValidation: number; total: number };
  overall: EvalSummary;
  /** With held-out conversations named: the summary of the others and of those. */
  splits: { development: EvalSummary; heldOut: EvalSummary; heldOutConversations: string[] } | null;
  users: UserOutcome[];
  /** With `folds`: every tuned number chosen on the other folds and measured on each fold left out. */
  crossValidation: CrossValidation | null;
}
