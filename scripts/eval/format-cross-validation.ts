import type { CrossValidation } from './cross-validate-users.js';
import type { EvalReport } from './eval-report.js';
import { row } from './format-eval-report.js';
import { FIGURES } from './fold-figures.js';
import type { Spread } from './fold-spread.js';

/** A number's grid makes no difference when no fold's training objective moves by more than this. */
const NO_DIFFERENCE = 0.002;

const spread = ({ folds, mean, sd, min, max }: Spread, of: number) =>
  `${mean.toFixed(3)} ± ${sd.toFixed(3)} (${min.toFixed(3)}–${max.toFixed(3)})${folds < of ? `, ${folds} folds` : ''}`;
const figure = (value: number | null) => (value === null ? '—' : value.toFixed(3));
const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;

/** The cross-validation as plain-text tables: each figure over folds, each tuned number's choices, each fold. */
export function formatCrossValidation(cv: CrossValidation): string {
  const widths = [36, 38, 9, 7, 8, 38];
  const lines = [
    `Cross-validation over ${cv.folds} folds of conversations: every tuned number chosen on the other folds, measured on the fold left out` +
      `${cv.inProcessMatchesProduct ? '' : ' (WARNING: in-process figures differ from the product\'s)'}`,
    row(['figure', 'left out: mean ± sd (min–max)', 'tuned on', 'gap', 'pooled', 'shipped tunings: mean ± sd (min–max)'], widths),
    ...FIGURES.map(({ key, label }) => {
      const figure = cv.figures[key];
      return row(
        [label.replaceAll('`', ''), spread(figure.leftOut, cv.folds), figure.tuned.toFixed(3), signed(figure.gap), signed(figure.gapPooled), spread(figure.shipped, cv.folds)],
        widths,
      );
    }),
    '',
    `Tuned numbers: the value each fold chose, the value chosen on all users, and the largest change its grid made to a fold's training objective (others held)`,
    ...Object.entries(cv.numbers).map(
      ([name, number]) =>
        `${name.padEnd(16)} ${number.chosen.join(' ').padEnd(40)} ${String(chosenOnAll(cv, name)).padEnd(6)} ${number.largestEffect.toFixed(4)}` +
        `${number.largestEffect <= NO_DIFFERENCE ? '  makes no difference' : ''}`,
    ),
    '',
    'Per fold, left out (conversations): coverage, recall@10, attached; tuned on the others: coverage, recall@10',
    ...cv.outcomes.map(
      (outcome) =>
        `fold ${outcome.fold} (${outcome.conversations.join(', ')}): ${[outcome.leftOut.coverage, outcome.leftOut.search10, outcome.leftOut.attached].map(figure).join(' ')}; ` +
        `${[outcome.tuned.coverage, outcome.tuned.search10].map(figure).join(' ')}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** The README's Quality table, from the same figures. */
export function crossValidationMarkdown(cv: CrossValidation, report: Pick<EvalReport, 'provider' | 'database' | 'overall'>): string {
  const questions = report.overall.recall.searchMemories.questions;
  const lines = [
    `Over ${cv.folds} folds of conversations (${report.overall.users} users, ${questions} answerable questions), ${report.provider.name} provider, ${report.database}:`,
    '',
    '| | left out: mean ± sd (min–max) | folds tuned on | gap | gap, pooled | shipped tunings, per fold |',
    '| --- | --- | --- | --- | --- | --- |',
    ...FIGURES.map(({ key, label }) => {
      const figure = cv.figures[key];
      return `| ${label} | **${spread(figure.leftOut, cv.folds)}** | ${figure.tuned.toFixed(3)} | ${signed(figure.gap)} | ${signed(figure.gapPooled)} | ${spread(figure.shipped, cv.folds)} |`;
    }),
    '',
    '| tuned number | chosen per fold | chosen on all users | largest effect on a fold\'s objective |',
    '| --- | --- | --- | --- |',
    ...Object.entries(cv.numbers).map(
      ([name, number]) =>
        `| \`${name}\` | ${number.chosen.join(', ')} | ${chosenOnAll(cv, name)} | ${number.largestEffect.toFixed(4)}${number.largestEffect <= NO_DIFFERENCE ? ' (none)' : ''} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function chosenOnAll(cv: CrossValidation, name: string): number | undefined {
  const { search, selection } = cv.chosenOnAll as unknown as Record<'search' | 'selection', Record<string, number>>;
  return search[name] ?? selection[name];
}
