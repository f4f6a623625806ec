import { describe, expect, it } from 'vitest';
import { coordinateDescent } from '../../../scripts/eval/coordinate-descent.js';
import { crossValidate, type FoldUser, type TuningMeasures } from '../../../scripts/eval/cross-validation.js';
import { assignFolds } from '../../../scripts/eval/fold-assignment.js';
import { foldFigures, type QuestionRanks } from '../../../scripts/eval/fold-figures.js';
import { spreadOf } from '../../../scripts/eval/fold-spread.js';
import type { SelectionTuning } from '../../../src/llm/offline/narrative-selection.js';
import { DEFAULT_SEARCH_TUNING, type SearchTuning } from '../../../src/search/search-tuning.js';
import { SELECTION_START } from '../../../scripts/eval/tuning-plan.js';

describe('the fold assignment', () => {
  it('deals conversations, sorted by number, to the folds in turn, whatever order they come in', () => {
    const folds = assignFolds(['47', '26', '9', '30', '26', '41', '9'], 3);
    expect([...folds]).toEqual([
      ['9', 0],
      ['26', 1],
      ['30', 2],
      ['41', 0],
      ['47', 1],
    ]);
    expect(assignFolds(['41', '9', '47', '26', '30'], 3)).toEqual(folds);
  });

  it('refuses fewer than two folds or more folds than conversations', () => {
    expect(() => assignFolds(['1', '2'], 1)).toThrow(RangeError);
    expect(() => assignFolds(['1', '2'], 3)).toThrow(/from 2 to 2 folds/);
  });
});

describe('the fold statistics', () => {
  it('gives the mean, the sample standard deviation and the range', () => {
    const spread = spreadOf([0.5, 0.7, 0.9]);
    expect(spread.folds).toBe(3);
    expect(spread.mean).toBeCloseTo(0.7, 12);
    expect(spread.sd).toBeCloseTo(0.2, 12);
    expect([spread.min, spread.max]).toEqual([0.5, 0.9]);
    expect(spreadOf([0.4])).toEqual({ folds: 1, mean: 0.4, sd: 0, min: 0.4, max: 0.4 });
  });

  it('leaves out of the spread the folds that did not measure a figure', () => {
    expect(spreadOf([0.5, null, 0.7])).toMatchObject({ folds: 2, mean: 0.6, min: 0.5, max: 0.7 });
  });

  it('pools recall over a group\'s questions, averages coverage over its users, and splits recall@10 by kind (none for a kind it has no question of)', () => {
    const questions: QuestionRanks[] = [
      { category: 1, search: 0, attached: 0 },
      { category: 1, search: 7, attached: null },
      { category: 3, search: 12, attached: null },
      { category: 4, search: null, attached: null },
    ];
    expect(foldFigures([0.6, 0.8], questions)).toEqual({
      coverage: 0.7,
      search5: 0.25,
      search10: 0.5,
      search20: 0.75,
      attached: 0.25,
      multiHop: 1,
      temporal: null,
      openDomain: 0,
      singleHop: 0,
    });
  });
});

describe('the coordinate descent', () => {
  it('moves each number to its best grid value, and keeps the start on a tie', async () => {
    const result = await coordinateDescent({ x: 0, y: 5 }, { x: [0, 1, 2, 3], y: [1, 5, 9] }, async ({ x }) => 4 - (x - 2) ** 2);
    expect(result.tuning).toEqual({ x: 2, y: 5 });
    expect(result.profiles.y!.map(({ score }) => score)).toEqual([4, 4, 4]);
  });
});

/** A user whose best k1 is `prefers`: recall@10 is 1 at that value, 0 elsewhere. */
interface FakeUser extends FoldUser {
  prefers: number;
  weight: number;
}

const fakeMeasures: TuningMeasures<FakeUser> = {
  async searchRanks(user: FakeUser, tuning: SearchTuning) {
    return Array.from({ length: user.weight }, () => ({ category: 4, search: tuning.k1 === user.prefers ? 0 : null, attached: null }));
  },
  async coverage(_user: FakeUser, tuning: SelectionTuning) {
    return tuning.openerBonus === 1 ? 0.5 : 0.25;
  },
};

function fakeUsers(heavyUserOf47: number): FakeUser[] {
  const shipped = { coverage: 0, questions: [] };
  return [
    { user: 'a', conversation: '26', prefers: 0.6, weight: 3, shipped },
    { user: 'b', conversation: '30', prefers: 0.6, weight: 3, shipped },
    { user: 'c', conversation: '41', prefers: 2, weight: 4, shipped },
    { user: 'd', conversation: '47', prefers: 2, weight: heavyUserOf47, shipped },
  ];
}

const plan = {
  folds: 4,
  search: { start: DEFAULT_SEARCH_TUNING, grid: { k1: [0.6, 1.2, 2] } },
  selection: { start: SELECTION_START, grid: { openerBonus: [0, 1, 2] } },
};

describe('the cross-validation', () => {
  it('chooses each fold\'s tuning on the other folds alone, whatever the left-out users would prefer', async () => {
    const light = await crossValidate(fakeUsers(1), fakeMeasures, plan);
    const heavy = await crossValidate(fakeUsers(100), fakeMeasures, plan);
    // Left out, conversation 47 cannot pull its own fold's choice, however many questions it has…
    expect(light.outcomes[3]!.search.k1).toBe(0.6);
    expect(heavy.outcomes[3]!.search.k1).toBe(0.6);
    // …while in the other folds it is training, and it does.
    expect(light.outcomes[0]!.search.k1).toBe(2); // 4 + 1 questions for 2 against 3
    expect(heavy.outcomes[2]!.search.k1).toBe(2);
    expect(light.outcomes[2]!.search.k1).toBe(0.6);
  });

  it('reports each figure left out and tuned on, their gap, and the numbers each fold chose', async () => {
    const cv = await crossValidate(fakeUsers(1), fakeMeasures, plan);
    expect(cv.outcomes.map((outcome) => outcome.conversations)).toEqual([['26'], ['30'], ['41'], ['47']]);
    // Fold 3 (47, preferring 2) tuned to 0.6 on users scoring 6 of 10 questions; left out it scores 0.
    expect(cv.outcomes[3]!.tunedPooled.search10).toBeCloseTo(0.6, 12);
    expect(cv.outcomes[3]!.leftOut.search10).toBe(0);
    const leftOut = cv.outcomes.map((outcome) => outcome.leftOut.search10);
    expect(cv.figures.search10.leftOut).toEqual(spreadOf(leftOut));
    expect(cv.figures.search10.gapPooled).toBeCloseTo(cv.figures.search10.tunedPooled - cv.figures.search10.leftOut.mean, 12);
  });

  it('measures the folds tuned on as the folds left out are: each fold\'s figure counting once, however many questions it has', async () => {
    const cv = await crossValidate(fakeUsers(1), fakeMeasures, plan);
    // Fold 3's tuning (0.6) on its training folds: 26 scores 1, 30 scores 1, 41 scores 0 (3, 3 and 4 questions).
    expect(cv.outcomes[3]!.tuned.search10).toBeCloseTo(2 / 3, 12);
    const tuned = cv.outcomes.map((outcome) => outcome.tuned.search10!);
    expect(cv.figures.search10.tuned).toBeCloseTo(tuned.reduce((sum, value) => sum + value, 0) / tuned.length, 12);
    expect(cv.figures.search10.gap).toBeCloseTo(cv.figures.search10.tuned - cv.figures.search10.leftOut.mean, 12);
    // A kind no training fold asks about has no figure there, rather than a 0.
    expect(cv.outcomes[3]!.tuned.multiHop).toBeNull();
    expect(cv.numbers.openerBonus).toEqual({ chosen: [1, 1, 1, 1], largestEffect: 0.25 });
    expect(cv.numbers.k1!.chosen).toEqual([2, 2, 0.6, 0.6]);
    // On all users together: 6 questions for 0.6 against 5 for 2.
    expect(cv.chosenOnAll.search.k1).toBe(0.6);
    expect(cv.chosenOnAll.selection.openerBonus).toBe(1);
  });
});
