import type { BaselineName, CoverageSummary, EvalSummary, TextCoverage, UserOutcome } from './eval-report.js';
import { recallSummary } from './recall-summary.js';

const BASELINES: readonly BaselineName[] = ['recent_400', 'recent_800', 'recent_same_words'];

/** Coverage means over the users, and recall over all their answerable questions. */
export function summariseUsers(users: readonly UserOutcome[]): EvalSummary {
  const questions = users.flatMap((user) => user.questions);
  const sources: Record<string, number> = {};
  for (const question of questions) sources[question.contextSource] = (sources[question.contextSource] ?? 0) + 1;
  const attached = questions.map((question) => question.contextAttached);
  const baselines = Object.fromEntries(
    BASELINES.map((name) => [name, coverageSummary(users.map((user) => user.baselines[name]))]),
  ) as Record<BaselineName, CoverageSummary>;
  return {
    users: users.length,
    coverage: { narrative: coverageSummary(users.map((user) => user.narrative ?? noText(user))), ...baselines },
    recall: {
      searchMemories: recallSummary(questions.map((q) => ({ category: q.category, rank: q.searchMemories }))),
      context: recallSummary(questions.map((q) => ({ category: q.category, rank: q.context }))),
      memoryIndex: recallSummary(questions.map((q) => ({ category: q.category, rank: q.memoryIndex }))),
      contextSelection: recallSummary(questions.map((q) => ({ category: q.category, rank: q.contextSelection }))),
    },
    context: {
      meanAttached: mean(attached),
      maxAttached: attached.length === 0 ? 0 : Math.max(...attached),
      sources,
    },
    unanswerable: users.reduce((sum, user) => sum + user.unanswerable, 0),
  };
}

/** A user without a narrative covers none of their events. */
function noText(user: UserOutcome): TextCoverage {
  const events = user.baselines.recent_400.events;
  return { words: 0, covered: 0, events, share: 0 };
}

function coverageSummary(texts: readonly TextCoverage[]): CoverageSummary {
  return {
    users: texts.length,
    mean: mean(texts.map((text) => text.share)),
    meanWords: mean(texts.map((text) => text.words)),
    maxWords: texts.length === 0 ? 0 : Math.max(...texts.map((text) => text.words)),
  };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}
