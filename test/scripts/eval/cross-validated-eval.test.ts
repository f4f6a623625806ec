import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvalDataset } from '../../../scripts/eval/eval-dataset.js';
import type { EvalReport } from '../../../scripts/eval/eval-report.js';
import { crossValidationMarkdown, formatCrossValidation } from '../../../scripts/eval/format-cross-validation.js';
import { recallSummary } from '../../../scripts/eval/recall-summary.js';
import { locomoSubset } from '../../support/locomo-subset.js';
import { DATABASES, openTestDatabase } from '../../support/test-databases.js';
import { runEval } from '../../../scripts/eval/run-eval.js';

/** Two conversations of LoCoMo, two users each. */
const USERS = ['locomo-26-caroline', 'locomo-26-melanie', 'locomo-30-gina', 'locomo-30-jon'];

describe.each(DATABASES)('the cross-validated evaluation on %s', (kind) => {
  let dir: string;
  let report: EvalReport;

  beforeAll(async () => {
    dir = await locomoSubset(USERS);
    report = await runEval(await readEvalDataset(dir), { database: kind, handle: await openTestDatabase(kind), env: {}, folds: 2 });
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('measures in process with the shipped tunings exactly what the product gave through its MCP tools', () => {
    expect(report.crossValidation?.inProcessMatchesProduct).toBe(true);
  });

  it('leaves each conversation out once and reports the shipped figures of the product on it', () => {
    const cv = report.crossValidation!;
    expect(cv.outcomes.map((outcome) => outcome.conversations)).toEqual([['26'], ['30']]);
    const jon = report.users.filter((user) => user.conversation === '30');
    const product = recallSummary(jon.flatMap((user) => user.questions.map((q) => ({ category: q.category, rank: q.searchMemories }))));
    expect(cv.outcomes[1]!.shipped.search10).toBeCloseTo(product.recall[10]!, 12);
    expect(cv.figures.search10.leftOut.folds).toBe(2);
    // Conversation 30 has no open-domain question: that figure is measured on one fold only.
    expect(cv.figures.openDomain.leftOut.folds).toBe(1);
  });

  it('prints each figure with its spread, its gap and its gap pooled, and the README table', () => {
    const text = formatCrossValidation(report.crossValidation!);
    expect(text).toMatch(/search_memories recall@10\s+0\.\d{3} ± 0\.\d{3} \(0\.\d{3}–0\.\d{3}\)\s+0\.\d{3}\s+[+−]0\.\d{3}\s+[+−]0\.\d{3}/);
    const markdown = crossValidationMarkdown(report.crossValidation!, report);
    expect(markdown).toContain('| folds tuned on | gap | gap, pooled |');
    expect(markdown).toContain('| `search_memories` recall@10 | **0.');
    expect(markdown).toContain('| `whenBoost` |');
  });
});
