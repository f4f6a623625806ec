import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvalDataset } from '../../../scripts/eval/eval-dataset.js';
import type { EvalReport } from '../../../scripts/eval/eval-report.js';
import { formatEvalReport } from '../../../scripts/eval/format-eval-report.js';
import { runEval } from '../../../scripts/eval/run-eval.js';
import { locomoSubset } from '../../support/locomo-subset.js';
import { DATABASES, openTestDatabase } from '../../support/test-databases.js';

const USERS = ['locomo-30-gina', 'locomo-30-jon'];

describe.each(DATABASES)('the LoCoMo evaluation on %s', (kind) => {
  let dir: string;
  let report: EvalReport;

  beforeAll(async () => {
    dir = await locomoSubset(USERS);
    report = await runEval(await readEvalDataset(dir), {
      database: kind,
      handle: await openTestDatabase(kind),
      // The offline provider whatever the developer's environment says.
      env: {},
      heldOut: ['30'],
    });
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every user a narrative with the offline provider and measures it against the baselines', () => {
    expect(report.provider).toEqual({ name: 'offline', model: 'offline-extractive-1' });
    expect(report.users.map((user) => user.user)).toEqual(USERS);
    for (const user of report.users) {
      expect(user.narrative!.words).toBeGreaterThan(400);
      expect(user.narrative!.words).toBeLessThanOrEqual(600);
      expect(user.narrative!.share).toBeGreaterThanOrEqual(user.baselines.recent_400.share);
      expect(user.baselines.recent_same_words.words).toBeLessThanOrEqual(user.narrative!.words);
    }
    const { narrative, recent_400 } = report.overall.coverage;
    expect(narrative.mean).toBeGreaterThan(recent_400.mean);
  });

  it('asks every answerable question through the MCP tools, answered from the cached narrative', () => {
    const questions = report.users.flatMap((user) => user.questions);
    expect(questions.length).toBe(56);
    expect(report.overall.context.sources).toEqual({ cache: 56 });
    expect(report.overall.context.maxAttached).toBeLessThanOrEqual(10);
    const { searchMemories, context } = report.overall.recall;
    expect(searchMemories.recall[10]).toBeGreaterThan(0.6);
    expect(context.recall[10]).toBeGreaterThan(0.6);
    expect(Object.keys(searchMemories.byCategory).sort()).toEqual(['1', '2', '4']);
    // search_memories ranks with the same in-process index the eval builds itself.
    expect(questions.map((question) => question.searchMemories)).toEqual(questions.map((question) => question.memoryIndex));
  });

  it('reports the held-out conversations apart and prints the tables', () => {
    expect(report.splits?.heldOut.users).toBe(2);
    expect(report.splits?.development.users).toBe(0);
    const text = formatEvalReport(report);
    expect(text).toContain('locomo-30-gina');
    expect(text).toMatch(/search_memories \(MCP tool\)\s+0\.\d{3}\s+0\.\d{3}\s+0\.\d{3}/);
    expect(text).toContain('recent memories, 400 words');
    expect(text).toContain('multi-hop');
  });

  it('judges every narrative as a reader would: no unsupported sentence, no readability violation', () => {
    for (const user of report.users) {
      expect(user.reading!.sentences).toBeGreaterThan(10);
      expect(user.reading!.unsupported).toEqual([]);
      expect(user.reading!.violations).toEqual([]);
    }
    expect(formatEvalReport(report)).toMatch(/faithfulness: sentences no memory supports\s+0\n/);
  });
});
