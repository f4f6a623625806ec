/**
 * Quality on LoCoMo (or any directory of memories.jsonl, questions.jsonl and events.jsonl):
 * narrative event coverage against recent-memory baselines, and evidence recall of
 * `search_memories` and of the memories `orchestrate_smart_context` attaches.
 *
 *   npm run eval -- [DIR] [--database pglite|postgres] [--folds K] [--narrative-words N] [--markdown] [--held-out 43,44,47] [--user ID]… [--show ID] [--out FILE]
 *   npm run eval -- --contradictions [FILE] [--database pglite|postgres] [--out FILE]
 *
 * DIR defaults to data/locomo, the LoCoMo conversations the repository carries. The memories go
 * into a throw-away database (in-memory PGlite, or a new database on DATABASE_URL's server, dropped afterwards); narratives are written
 * with the configured provider (offline without GEMINI_API_KEY). Prints tables and writes JSON to
 * bench/results/eval-<database>-<date>.json. Then every tuned number of the search and of the
 * offline narrative is cross-validated over K folds of conversations (one fold per conversation by
 * default, none with `--user`; `--folds 0` skips it): chosen on the other folds, measured on the one
 * left out, the narrative at the offline provider's default length or at `--narrative-words`' (the
 * product's own narratives keep the default); `--markdown` also prints the README's Quality table. `--held-out` names conversations
 * reported apart from the others; `--show` prints a user's narrative and the sentences of it that no
 * memory supports or that read wrong (see eval/reading-measures.ts). `--contradictions` instead judges the narratives of
 * the cases in FILE (data/contradictions/cases.jsonl by default) where a newer memory replaces an
 * older one, and writes bench/results/contradictions-<database>-<date>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatContradictionReport, readContradictionCases, runContradictionEval } from './eval/contradiction-eval.js';
import { readEvalDataset } from './eval/eval-dataset.js';
import { crossValidationMarkdown, formatCrossValidation } from './eval/format-cross-validation.js';
import { formatEvalReport } from './eval/format-eval-report.js';
import { formatReadingExamples, readingCounts } from './eval/reading-measures.js';
import { runEval } from './eval/run-eval.js';

const ROOT = join(import.meta.dirname, '..');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    database: { type: 'string', default: 'pglite' },
    'held-out': { type: 'string' },
    user: { type: 'string', multiple: true },
    show: { type: 'string', multiple: true },
    out: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    contradictions: { type: 'boolean', default: false },
    folds: { type: 'string' },
    markdown: { type: 'boolean', default: false },
    'narrative-words': { type: 'string' },
  },
});

if (values.database !== 'pglite' && values.database !== 'postgres') {
  console.error(`eval: --database must be pglite or postgres; got ${JSON.stringify(values.database)}`);
  process.exit(2);
}
if (positionals.length > 1) {
  console.error('eval: give at most one data directory');
  process.exit(2);
}

if (values.contradictions) {
  const file = resolve(positionals[0] ?? join(ROOT, 'data', 'contradictions', 'cases.jsonl'));
  const report = await runContradictionEval(await readContradictionCases(file), {
    database: values.database,
    ...(process.env.DATABASE_URL ? { serverUrl: process.env.DATABASE_URL } : {}),
  });
  process.stdout.write(formatContradictionReport(report));
  const out = values.out ?? join(ROOT, 'bench', 'results', `contradictions-${report.database}-${report.date.replace(/[:.]/g, '-')}.json`);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(`wrote ${out}\n`);
  process.exit(0);
}

const dir = resolve(positionals[0] ?? join(ROOT, 'data', 'locomo'));
const dataset = await readEvalDataset(dir);
const conversations = new Set(dataset.memories.map((line) => line.metadata.conversation ?? line.user)).size;
// Every conversation its own fold by default; none when only some users are asked for.
const folds = values.folds === undefined ? (conversations >= 2 && !values.user ? conversations : 0) : Number(values.folds);
if (!Number.isInteger(folds) || folds < 0 || folds === 1 || folds > conversations) {
  console.error(`eval: --folds must be 0 (none) or from 2 to ${conversations}, the conversations in ${dir}; got ${values.folds}`);
  process.exit(2);
}
const narrativeWords = values['narrative-words'] === undefined ? undefined : Number(values['narrative-words']);
if (narrativeWords !== undefined && (!Number.isInteger(narrativeWords) || narrativeWords < 100 || narrativeWords > 600)) {
  console.error(`eval: --narrative-words must be a whole number from 100 to 600; got ${values['narrative-words']}`);
  process.exit(2);
}
const report = await runEval(dataset, {
  database: values.database,
  ...(process.env.DATABASE_URL ? { serverUrl: process.env.DATABASE_URL } : {}),
  ...(values['held-out'] ? { heldOut: values['held-out'].split(',').map((id) => id.trim()).filter(Boolean) } : {}),
  ...(values.user ? { users: values.user } : {}),
  folds,
  ...(narrativeWords === undefined ? {} : { narrativeWords }),
  onProgress: values.quiet ? undefined : (message) => process.stderr.write(`${message}\n`),
});
process.stdout.write(formatEvalReport(report));
if (report.crossValidation) process.stdout.write(`\n${formatCrossValidation(report.crossValidation)}`);
if (values.markdown && report.crossValidation) process.stdout.write(`\n${crossValidationMarkdown(report.crossValidation, report)}`);
for (const user of values.show ?? []) {
  const outcome = report.users.find((candidate) => candidate.user === user);
  process.stdout.write(`\n== Narrative of ${user} ==\n${outcome?.narrativeText ?? '(none)\n'}`);
  const examples = formatReadingExamples(outcome?.reading ?? null);
  if (examples.length > 0) process.stdout.write(`\n== What a reader would trip on in ${user}'s narrative ==\n${examples.join('\n')}\n`);
}

const out = values.out ?? join(ROOT, 'bench', 'results', `eval-${report.database}-${report.date.replace(/[:.]/g, '-')}.json`);
await mkdir(dirname(out), { recursive: true });
// Figures only: the narratives are made of the dataset's own text, which stays where it is.
const figures = {
  ...report,
  users: report.users.map(({ narrativeText: _text, reading, ...outcome }) => ({ ...outcome, reading: reading && readingCounts(reading) })),
};
await writeFile(out, `${JSON.stringify(figures, null, 2)}\n`);
process.stderr.write(`wrote ${out}\n`);
