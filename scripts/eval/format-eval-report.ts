import type { EvalReport, EvalSummary } from './eval-report.js';
import { formatReadingTotals } from './reading-measures.js';
import { RECALL_CUTOFFS, type RecallSummary } from './recall-summary.js';

/** LoCoMo's question categories (adversarial ones are not in the data). */
const CATEGORY_NAMES: Record<string, string> = { 1: 'multi-hop', 2: 'temporal', 3: 'open-domain', 4: 'single-hop' };

/** The report as plain-text tables: coverage per user, then the summary overall and per split. */
export function formatEvalReport(report: EvalReport): string {
  const lines: string[] = [
    `Evaluation of ${report.dataset} on ${report.database}, ${report.provider.name} provider` +
      `${report.provider.model ? ` (${report.provider.model})` : ''}, ${report.seconds.total.toFixed(1)} s`,
    '',
    'Narrative event coverage per user (share of events covered, words)',
    row(['user', 'memories', 'events', 'narrative', 'recent 400', 'recent 800', 'recent, same words'], [22, 8, 6, 13, 13, 13, 18]),
  ];
  for (const user of report.users) {
    const cell = (text: { share: number; words: number } | null) => (text ? `${text.share.toFixed(2)} (${text.words})` : '—');
    lines.push(
      row(
        [
          user.user,
          String(user.memories),
          String(user.baselines.recent_400.events),
          cell(user.narrative),
          cell(user.baselines.recent_400),
          cell(user.baselines.recent_800),
          cell(user.baselines.recent_same_words),
        ],
        [22, 8, 6, 13, 13, 13, 18],
      ),
    );
  }
  lines.push('', ...formatReadingTotals(report.users.map((user) => user.reading)));
  lines.push('', ...formatSummary('All users', report.overall, report));
  if (report.splits) {
    const { development, heldOut, heldOutConversations } = report.splits;
    lines.push('', ...formatSummary(`Development (all but conversations ${heldOutConversations.join(', ')})`, development, report));
    lines.push('', ...formatSummary(`Held out (conversations ${heldOutConversations.join(', ')})`, heldOut, report));
  }
  return `${lines.join('\n')}\n`;
}

function formatSummary(title: string, summary: EvalSummary, report: EvalReport): string[] {
  const { coverage, recall, context } = summary;
  const widths = [46, 9, 12];
  const coverageRow = (name: string, value: { mean: number; meanWords: number; maxWords: number }) =>
    row([name, value.mean.toFixed(3), `${value.meanWords.toFixed(0)} / ${value.maxWords}`], widths);
  const sources = Object.entries(context.sources)
    .map(([source, count]) => `${source} ${count}`)
    .join(', ');
  const methods: [string, RecallSummary][] = [
    ['search_memories (MCP tool)', recall.searchMemories],
    [`orchestrate_smart_context (MCP tool, ${formatCount(context.meanAttached)} attached)`, recall.context],
    ['memory index (in process)', recall.memoryIndex],
    [`context selection (in process, ${report.contextSelectionLimit})`, recall.contextSelection],
  ];
  const recallWidths = [50, 7, 7, 7];
  const categories = Object.keys(recall.searchMemories.byCategory);
  const categoryWidths = [50, ...categories.map(() => 13)];
  return [
    `== ${title}: ${summary.users} users ==`,
    row(['Narrative event coverage (mean over users)', 'coverage', 'words mean / max'], widths),
    coverageRow(`narrative (${report.provider.name})`, coverage.narrative),
    coverageRow('recent memories, 400 words', coverage.recent_400),
    coverageRow('recent memories, 800 words', coverage.recent_800),
    coverageRow('recent memories, as many words as the narrative', coverage.recent_same_words),
    '',
    `Evidence recall over ${recall.searchMemories.questions} answerable questions` +
      ` (${summary.unanswerable} whose evidence no memory carries left out; context sources: ${sources})`,
    row(['', ...RECALL_CUTOFFS.map((k) => `@${k}`)], recallWidths),
    ...methods.map(([name, value]) => row([name, ...RECALL_CUTOFFS.map((k) => (value.recall[k] ?? 0).toFixed(3))], recallWidths)),
    '',
    'Recall@10 per category (questions)',
    row(['', ...categories.map((category) => `${CATEGORY_NAMES[category] ?? category} (${recall.searchMemories.byCategory[category]?.questions ?? 0})`)], categoryWidths),
    ...methods.map(([name, value]) =>
      row([name, ...categories.map((category) => (value.byCategory[category]?.recall[10] ?? 0).toFixed(3))], categoryWidths),
    ),
  ];
}

function formatCount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** A table row: the first cell padded to the left, the others to the right. */
export function row(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
    .join('  ')
    .trimEnd();
}
