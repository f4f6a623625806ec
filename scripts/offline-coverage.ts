/**
 * How much of each LoCoMo user's ground-truth life events the offline narrative covers.
 *
 *   npx tsx scripts/offline-coverage.ts [words] [--baseline] [--show USER]
 *
 * An event is covered when at least half of its content words (lower-cased, stop words and words of
 * one or two letters removed) appear in the text. The stop list here is the metric's own (NLTK's
 * English list), independent of the provider's. Data is read from ../shared/data/locomo.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OfflineProvider } from '../src/llm/offline/offline-provider.js';
import type { PromptMemory } from '../src/llm/llm-provider.js';

const DATA = path.join(import.meta.dirname, '..', '..', 'shared', 'data', 'locomo');

const METRIC_STOP_WORDS = new Set(
  `i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
  hers herself it its itself they them their theirs themselves what which who whom this that these
  those am is are was were be been being have has had having do does did doing a an the and but if or
  because as until while of at by for with about against between into through during before after
  above below to from up down in out on off over under again further then once here there when where
  why how all any both each few more most other some such no nor not only own same so than too very s
  t can will just don should now d ll m o re ve y ain aren couldn didn doesn hadn hasn haven isn ma
  mightn mustn needn shan shouldn wasn weren won wouldn`.split(/\s+/),
);

function metricWords(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => w.length > 2 && !METRIC_STOP_WORDS.has(w));
}

function readJsonLines<T>(file: string): T[] {
  return readFileSync(path.join(DATA, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
}

function coverage(text: string, events: readonly string[]): number {
  const present = new Set(metricWords(text));
  const covered = events.filter((event) => {
    const words = [...new Set(metricWords(event))];
    return words.length > 0 && words.filter((word) => present.has(word)).length * 2 >= words.length;
  });
  return covered.length / events.length;
}

function recentBaseline(memories: readonly PromptMemory[], words: number): string {
  const newestFirst = [...memories].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const taken: string[] = [];
  let used = 0;
  for (const memory of newestFirst) {
    const length = memory.content.split(/\s+/).length;
    if (used + length > words) break;
    taken.push(memory.content);
    used += length;
  }
  return taken.join(' ');
}

const args = process.argv.slice(2);
const words = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 550);
const baseline = args.includes('--baseline');
const show = args[args.indexOf('--show') + 1];

const memoryRows = readJsonLines<{ user: string; content: string; created_at: string }>('memories.jsonl');
const eventRows = readJsonLines<{ user: string; event: string }>('events.jsonl');
const users = [...new Set(memoryRows.map((row) => row.user))];
const provider = new OfflineProvider({ narrativeWords: Math.min(words, 600) });

const results: number[] = [];
for (const user of users) {
  const memories: PromptMemory[] = memoryRows
    .filter((row) => row.user === user)
    .map((row, index) => ({ id: `${user}-${index}`, content: row.content, createdAt: new Date(row.created_at) }));
  const events = eventRows.filter((row) => row.user === user).map((row) => row.event);
  const text = baseline
    ? recentBaseline(memories, words)
    : (
        await provider.writeNarrative({
          user: { externalId: user, displayName: null },
          memories,
          now: new Date('2024-06-01T00:00:00Z'),
          signal: new AbortController().signal,
        })
      ).text;
  const score = coverage(text, events);
  results.push(score);
  const count = text.split(/\s+/).filter(Boolean).length;
  console.log(`${user.padEnd(22)} ${score.toFixed(2)}  (${events.length} events, ${memories.length} memories, ${count} words)`);
  if (user === show) console.log(`\n${text}\n`);
}
const mean = results.reduce((sum, score) => sum + score, 0) / results.length;
console.log(`${'mean'.padEnd(22)} ${mean.toFixed(3)}  (${baseline ? `recent-memories baseline at ${words} words` : `offline narrative, budget ${Math.min(words, 600)} words`})`);
