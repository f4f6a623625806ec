import { formatTable } from '../../src/cli/format-table.js';
import type { BenchRun } from './bench-run.js';
import { formatFigure } from './format-figure.js';

const HEADER = ['section', 'database', 'transport', 'what', 'setting', 'p50', 'p90', 'p99', 'max', 'figures', 'targets'];

/** The runs as a table: aligned columns for a terminal, or GitHub Markdown for the README. */
export function formatRuns(runs: readonly BenchRun[], style: 'text' | 'markdown'): string {
  const rows = runs.map((run) => {
    const unit = run.unit ?? 'ms';
    const suffix = unit === 'ms' && run.p50 !== undefined ? ' ms' : '';
    return [
      run.section,
      run.database ?? '',
      run.transport ?? '',
      run.what,
      run.setting,
      formatFigure(run.p50, unit) + suffix,
      formatFigure(run.p90, unit) + suffix,
      formatFigure(run.p99, unit) + suffix,
      formatFigure(run.max, unit) + suffix,
      run.summary,
      run.targets.map((check) => `${check.target}: ${check.met ? 'met' : 'MISSED'}`).join('; '),
    ];
  });
  if (style === 'text') return formatTable(HEADER, rows);
  const cell = (text: string) => text.replaceAll('|', '\\|');
  return [HEADER, HEADER.map(() => '---'), ...rows].map((row) => `| ${row.map(cell).join(' | ')} |`).join('\n');
}
