import type { PromptMemory, PromptUser } from '../../src/llm/llm-provider.js';
import type { SelectionTuning } from '../../src/llm/offline/narrative-selection.js';
import { OfflineProvider } from '../../src/llm/offline/offline-provider.js';
import { MemoryIndex, type IndexedMemory } from '../../src/search/memory-index.js';
import type { SearchTuning } from '../../src/search/search-tuning.js';
import { selectContextMemories } from '../../src/search/select-context-memories.js';
import type { FoldUser, TuningMeasures } from './cross-validation.js';
import { eventCoverage } from './event-coverage.js';
import { evidenceHitRank } from './evidence-hit-rank.js';
import type { QuestionRanks } from './fold-figures.js';

/** What measuring a user with a candidate tuning needs: their memories, events and answerable questions. */
export interface MeasuredUser extends FoldUser {
  readonly promptUser: PromptUser;
  readonly memories: readonly IndexedMemory[];
  readonly evidenceOf: ReadonlyMap<string, readonly string[]>;
  readonly events: readonly string[];
  readonly questions: readonly { readonly category: number; readonly question: string; readonly evidence: readonly string[] }[];
}

/**
 * A user's figures with a candidate tuning, measured in process with the product's own parts: the
 * memory index `search_memories` searches, the selection `orchestrate_smart_context` attaches, and
 * the offline provider the backfill writes with (at `narrativeWords`, its default when absent). With
 * the shipped tunings and the default length these give the product's figures exactly (the evaluation
 * checks it).
 */
export function inProcessMeasures(options: { searchLimit: number; attachedLimit: number; narrativeWords?: number }): TuningMeasures<MeasuredUser> {
  return {
    async searchRanks(user: MeasuredUser, tuning: SearchTuning): Promise<readonly QuestionRanks[]> {
      const index = MemoryIndex.build(user.memories, tuning);
      const rankOf = (returned: readonly IndexedMemory[], evidence: readonly string[]) =>
        evidenceHitRank(
          returned.map((memory) => user.evidenceOf.get(memory.id) ?? []),
          evidence,
        );
      return user.questions.map(({ category, question, evidence }) => ({
        category,
        search: rankOf(index.search(question, options.searchLimit), evidence),
        attached: rankOf(selectContextMemories(index, question, options.attachedLimit), evidence),
      }));
    },
    async coverage(user: MeasuredUser, tuning: SelectionTuning): Promise<number> {
      const memories: PromptMemory[] = user.memories.map((memory) => ({ id: memory.id, content: memory.content, createdAt: memory.created_at }));
      const newest = memories.reduce((latest, memory) => Math.max(latest, memory.createdAt.getTime()), 0);
      const { text } = await new OfflineProvider({ selectionTuning: tuning, ...(options.narrativeWords === undefined ? {} : { narrativeWords: options.narrativeWords }) }).writeNarrative({
        user: user.promptUser,
        memories,
        now: new Date(newest),
        signal: new AbortController().signal,
      });
      return eventCoverage(text, user.events).share;
    },
  };
}
