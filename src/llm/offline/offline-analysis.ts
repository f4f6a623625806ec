import { MemoryIndex } from '../../search/memory-index.js';
import { isNearDuplicate } from '../../text/information-coverage.js';
import { formatMonth } from './dated-sentence.js';
import type { ExtractiveText } from './offline-narrative.js';
import { countWords, type PreparedMemory } from './prepared-memory.js';

const MOST_RELEVANT = 8;
const MOST_RECENT = 3;

/**
 * What matters about the user for one message, within `budgetWords`: the memories that the search
 * index finds most relevant to the message, best first, then the few most recent ones not
 * already listed, each as a dated bullet in the memory's own words.
 */
export function writeOfflineAnalysis(memories: readonly PreparedMemory[], message: string, budgetWords: number): ExtractiveText {
  const index = MemoryIndex.build(memories.map((memory) => ({ id: memory.id, content: memory.sentence, created_at: memory.createdAt, memory })));
  const ranked = index.search(message, memories.length).map(({ memory }) => memory);
  const newestFirst = [...memories].reverse();
  const header = `Offline analysis of ${memories.length} ${memories.length === 1 ? 'memory' : 'memories'}, extractive, without an LLM.`;
  const relevantTitle = ranked.length > 0 ? 'What matters about the user for this message:' : 'No memory shares words with this message.';
  const recentTitle = 'Most recent:';

  const relevant: PreparedMemory[] = [];
  const recent: PreparedMemory[] = [];
  const render = (): string =>
    [header, '', relevantTitle, ...relevant.map(bullet), ...(recent.length > 0 ? ['', recentTitle, ...recent.map(bullet)] : [])].join('\n');
  const tryAdd = (list: PreparedMemory[], memory: PreparedMemory): void => {
    if ([...relevant, ...recent].some((chosen) => chosen === memory || isNearDuplicate(chosen.terms, memory.terms))) return;
    list.push(memory);
    if (countWords(render()) > budgetWords) list.pop();
  };

  const reservedForRecent = newestFirst.slice(0, MOST_RECENT).reduce((sum, memory) => sum + memory.words + 3, 2);
  for (const memory of ranked) {
    if (relevant.length === MOST_RELEVANT) break;
    if (countWords(render()) + memory.words + 3 > budgetWords - reservedForRecent) continue;
    tryAdd(relevant, memory);
  }
  for (const memory of newestFirst) {
    if (recent.length === MOST_RECENT) break;
    tryAdd(recent, memory);
  }
  return { text: `${render()}\n`, memoryIds: [...relevant, ...recent].map((memory) => memory.id) };
}

function bullet(memory: PreparedMemory): string {
  return `- ${formatMonth(memory.createdAt)}: ${memory.sentence}`;
}
