import type { SelectionTuning } from '../../src/llm/offline/narrative-selection.js';
import type { SearchTuning } from '../../src/search/search-tuning.js';
import { coordinateDescent, type NumberProfile, type TuningGrid } from './coordinate-descent.js';
import { assignFolds } from './fold-assignment.js';
import { FIGURES, foldFigures, type FigureKey, type Figures, type QuestionRanks } from './fold-figures.js';
import { spreadOf, type Spread } from './fold-spread.js';

/** A user as the cross-validation sees them: their conversation, and the product's own figures. */
export interface FoldUser {
  readonly user: string;
  readonly conversation: string;
  /** Measured through the product (importer, backfill, MCP tools) with the shipped tunings. */
  readonly shipped: { readonly coverage: number; readonly questions: readonly QuestionRanks[] };
}

/** How a user's figures are measured with a candidate tuning (in process: the index, the offline writer). */
export interface TuningMeasures<U extends FoldUser> {
  searchRanks(user: U, tuning: SearchTuning): Promise<readonly QuestionRanks[]>;
  coverage(user: U, tuning: SelectionTuning): Promise<number>;
}

export interface CrossValidationPlan {
  folds: number;
  search: { start: SearchTuning; grid: TuningGrid<SearchTuning> };
  selection: { start: SelectionTuning; grid: TuningGrid<SelectionTuning> };
}

export interface FoldOutcome {
  fold: number;
  conversations: string[];
  search: SearchTuning;
  selection: SelectionTuning;
  /**
   * With the fold's tunings: on its own users (never seen by the choice), and on the users it was
   * chosen on, as the mean of their folds' figures (`tuned`, averaged as the folds left out are) and
   * over their users and questions together (`tunedPooled`).
   */
  leftOut: Figures;
  tuned: Figures;
  tunedPooled: Figures;
  /** The shipped tunings on the fold's users, through the product. */
  shipped: Figures;
  /** Per tuned number, the training objective over its grid, the others at their chosen values. */
  profiles: Record<string, NumberProfile>;
}

export interface FigureSummary {
  leftOut: Spread;
  /** Mean over folds of the figure on the folds each tuning was chosen on, each of those folds counting once, as left out. */
  tuned: number;
  /** tuned − left out: what the choice fitted the folds it saw, beyond what holds for others. */
  gap: number;
  /**
   * The same over the tuning folds' users and questions pooled, and its gap: a kind with few
   * questions in some folds weighs those folds less pooled than in the mean of folds, so this gap
   * also holds the difference between the two ways of averaging.
   */
  tunedPooled: number;
  gapPooled: number;
  shipped: Spread;
}

export interface TunedNumber {
  /** The value each fold chose. */
  chosen: number[];
  /** The largest difference its grid made to a fold's training objective (the others held). */
  largestEffect: number;
}

export interface CrossValidationReport {
  folds: number;
  plan: CrossValidationPlan;
  /** The same search on every user: the tunings to ship, whose figures the folds estimate. */
  chosenOnAll: { search: SearchTuning; selection: SelectionTuning };
  outcomes: FoldOutcome[];
  figures: Record<FigureKey, FigureSummary>;
  numbers: Record<string, TunedNumber>;
}

/**
 * k-fold cross-validation over conversations: for each fold, every tuned number is chosen by
 * coordinate descent on the users of the other folds alone (search by recall@10 of their questions
 * together, the narrative by their mean event coverage), then measured on the fold's own users.
 */
export async function crossValidate<U extends FoldUser>(
  users: readonly U[],
  measures: TuningMeasures<U>,
  plan: CrossValidationPlan,
): Promise<CrossValidationReport> {
  const foldOf = assignFolds(
    users.map((user) => user.conversation),
    plan.folds,
  );
  const cached = memoised(measures);
  const searchRanks = async (group: readonly U[], tuning: SearchTuning) =>
    (await Promise.all(group.map((user) => cached.searchRanks(user, tuning)))).flat();
  const coverages = (group: readonly U[], tuning: SelectionTuning) => Promise.all(group.map((user) => cached.coverage(user, tuning)));
  const tuneOn = async (training: readonly U[]) => ({
    search: await coordinateDescent(
      plan.search.start,
      plan.search.grid,
      async (tuning) => foldFigures([], await searchRanks(training, tuning)).search10 ?? 0,
    ),
    selection: await coordinateDescent(
      plan.selection.start,
      plan.selection.grid,
      async (tuning) => foldFigures(await coverages(training, tuning), []).coverage ?? 0,
    ),
  });
  const outcomes: FoldOutcome[] = [];
  for (let fold = 0; fold < plan.folds; fold += 1) {
    const leftOut = users.filter((user) => foldOf.get(user.conversation) === fold);
    const training = users.filter((user) => foldOf.get(user.conversation) !== fold);
    const { search, selection } = await tuneOn(training);
    const figuresOf = async (group: readonly U[]) =>
      foldFigures(await coverages(group, selection.tuning), await searchRanks(group, search.tuning));
    const trainingFolds = [...new Set(training.map((user) => foldOf.get(user.conversation)!))];
    outcomes.push({
      fold,
      conversations: [...new Set(leftOut.map((user) => user.conversation))],
      search: search.tuning,
      selection: selection.tuning,
      leftOut: await figuresOf(leftOut),
      tuned: meanOfFigures(await Promise.all(trainingFolds.map((other) => figuresOf(training.filter((user) => foldOf.get(user.conversation) === other))))),
      tunedPooled: await figuresOf(training),
      shipped: foldFigures(
        leftOut.map((user) => user.shipped.coverage),
        leftOut.flatMap((user) => user.shipped.questions),
      ),
      profiles: { ...search.profiles, ...selection.profiles },
    });
  }
  const onAll = await tuneOn(users);
  return {
    folds: plan.folds,
    plan,
    chosenOnAll: { search: onAll.search.tuning, selection: onAll.selection.tuning },
    outcomes,
    figures: summariseFigures(outcomes),
    numbers: summariseNumbers(outcomes),
  };
}

function summariseFigures(outcomes: readonly FoldOutcome[]): Record<FigureKey, FigureSummary> {
  const summary = {} as Record<FigureKey, FigureSummary>;
  for (const { key } of FIGURES) {
    const leftOut = spreadOf(outcomes.map((outcome) => outcome.leftOut[key]));
    const tuned = spreadOf(outcomes.map((outcome) => outcome.tuned[key])).mean;
    const tunedPooled = spreadOf(outcomes.map((outcome) => outcome.tunedPooled[key])).mean;
    summary[key] = {
      leftOut,
      tuned,
      gap: tuned - leftOut.mean,
      tunedPooled,
      gapPooled: tunedPooled - leftOut.mean,
      shipped: spreadOf(outcomes.map((outcome) => outcome.shipped[key])),
    };
  }
  return summary;
}

/** Each figure's mean over the groups that measured it (null when none did). */
function meanOfFigures(groups: readonly Figures[]): Figures {
  const mean = {} as Figures;
  for (const { key } of FIGURES) {
    const spread = spreadOf(groups.map((figures) => figures[key]));
    mean[key] = spread.folds === 0 ? null : spread.mean;
  }
  return mean;
}

function summariseNumbers(outcomes: readonly FoldOutcome[]): Record<string, TunedNumber> {
  const numbers: Record<string, TunedNumber> = {};
  for (const outcome of outcomes) {
    for (const [name, profile] of Object.entries(outcome.profiles)) {
      const tuning = (name in outcome.search ? outcome.search : outcome.selection) as unknown as Record<string, number>;
      const scores = profile.map(({ score }) => score);
      const entry = (numbers[name] ??= { chosen: [], largestEffect: 0 });
      entry.chosen.push(tuning[name]!);
      entry.largestEffect = Math.max(entry.largestEffect, Math.max(...scores) - Math.min(...scores));
    }
  }
  return numbers;
}

/** The measures, each user and tuning measured once: folds share most of their training users. */
function memoised<U extends FoldUser>(measures: TuningMeasures<U>): TuningMeasures<U> {
  const ranks = new Map<string, Promise<readonly QuestionRanks[]>>();
  const coverage = new Map<string, Promise<number>>();
  const once = <T>(cache: Map<string, Promise<T>>, key: string, measure: () => Promise<T>): Promise<T> => {
    let value = cache.get(key);
    if (value === undefined) {
      value = measure();
      cache.set(key, value);
    }
    return value;
  };
  return {
    searchRanks: (user, tuning) => once(ranks, `${user.user}\n${JSON.stringify(tuning)}`, () => measures.searchRanks(user, tuning)),
    coverage: (user, tuning) => once(coverage, `${user.user}\n${JSON.stringify(tuning)}`, () => measures.coverage(user, tuning)),
  };
}
