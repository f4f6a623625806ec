import { supersededMemories } from '../../text/superseded-memories.js';
import { LlmError } from '../llm-error.js';
import type { AnalysisRequest, LlmOutput, LlmProvider, NarrativeRequest, PromptMemory, PromptUser } from '../llm-provider.js';
import { writeOfflineAnalysis } from './offline-analysis.js';
import { DEFAULT_SELECTION_TUNING, type SelectionTuning } from './narrative-selection.js';
import { writeOfflineNarrative } from './offline-narrative.js';
import { displayedFirstName, narrativeSubject } from './narrative-subject.js';
import { prepareMemories, type PreparedMemory } from './prepared-memory.js';

/**
 * The narrative's length when none is asked for: 600 words, the most a narrative may have,
 * covers 0.742 of a person's events left out against 0.714 at 550 (`npm run eval`, README "Quality").
 */
export const DEFAULT_NARRATIVE_WORDS = 600;
const MAX_NARRATIVE_WORDS = 600;
const MIN_NARRATIVE_WORDS = 100;
const ANALYSIS_WORDS = 250;

/**
 * The provider used without an API key: no network, no model, no randomness. Narratives and analyses
 * are extractive — the user's memories, selected and arranged, never rewritten but for a time said
 * relative to the memory's date ("last year"), which the narrative dates ("in 2025", in UTC; see
 * `resolveRelativeTime`), and for the first person, told in the third ("I love sailing" → "Dana
 * loves sailing", see `inThirdPerson`; the name from `narrativeSubject`) or quoted as the user's
 * words where that rewrite would not be certain — and say so in their first line. The same memories give the same text,
 * whatever their order and whatever `now` is (the latest events are those just before the newest
 * memory).
 *
 * When memories disagree, the newest wins: a memory that a newer one replaces ("lives in Lisbon",
 * then "moved to Berlin") is left out, so the text never states both as if true (see
 * `supersededMemories`).
 *
 * A memory is only ever text to select: one that says "ignore previous instructions" is weighed and
 * quoted like any other, and cannot add a heading or a line of its own (whitespace is collapsed).
 *
 * With no usable memories, `writeNarrative` throws `LlmError('empty')`: a narrative of nothing must
 * never be stored, and the failure shows in the narrative's status. `analyze` instead answers in one
 * honest sentence, since "nothing is known yet" is a true context for a message.
 */
export class OfflineProvider implements LlmProvider {
  readonly name = 'offline';
  readonly rateLimited = false;
  readonly model = 'offline-extractive-1';
  /** Selection is cheap, and more candidates make a better selection. */
  readonly memoryBudgetChars = 200_000;
  private readonly narrativeWords: number;
  private readonly selectionTuning: SelectionTuning;

  /** `selectionTuning` is for the evaluation's tuning search; the product always uses the default. */
  constructor(options: { narrativeWords?: number; selectionTuning?: SelectionTuning } = {}) {
    const words = options.narrativeWords ?? DEFAULT_NARRATIVE_WORDS;
    if (!Number.isInteger(words) || words < MIN_NARRATIVE_WORDS || words > MAX_NARRATIVE_WORDS) {
      throw new RangeError(
        `The offline narrative budget must be a whole number of words from ${MIN_NARRATIVE_WORDS} to ${MAX_NARRATIVE_WORDS}; got ${words}.`,
      );
    }
    this.narrativeWords = words;
    this.selectionTuning = options.selectionTuning ?? DEFAULT_SELECTION_TUNING;
  }

  async writeNarrative(request: NarrativeRequest): Promise<LlmOutput> {
    throwIfAborted(request.signal);
    const memories = preparedMemories(request);
    if (memories.length === 0) {
      throw new LlmError('empty', 'There are no memories to build a narrative from; add memories first.');
    }
    return { ...writeOfflineNarrative(memories, this.narrativeWords, this.selectionTuning), model: this.model };
  }

  async analyze(request: AnalysisRequest): Promise<LlmOutput> {
    throwIfAborted(request.signal);
    const memories = preparedMemories(request);
    if (memories.length === 0) {
      return { text: 'There are no memories of this user yet, so nothing is known about them.\n', model: this.model, memoryIds: [] };
    }
    return { ...writeOfflineAnalysis(memories, request.message, ANALYSIS_WORDS), model: this.model };
  }
}

/** The request's memories that no newer memory replaces, as sentences about the user ready for selection. */
function preparedMemories({ memories, user }: { memories: readonly PromptMemory[]; user: PromptUser }): PreparedMemory[] {
  const current = stillTrue(memories, user);
  return prepareMemories(current, narrativeSubject(user, current));
}

/** The memories no newer memory replaces. */
function stillTrue(memories: readonly PromptMemory[], user: PromptUser): readonly PromptMemory[] {
  const firstName = displayedFirstName(user);
  const names = firstName ? [firstName] : [];
  const superseded = supersededMemories(
    memories.map((memory) => ({ id: memory.id, text: memory.content, createdAt: memory.createdAt })),
    names,
  );
  return superseded.size === 0 ? memories : memories.filter((memory) => !superseded.has(memory.id));
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new LlmError('aborted', 'The request was aborted before the offline provider ran.', { cause: signal.reason });
}
