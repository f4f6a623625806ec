import { DEFAULT_SELECTION_TUNING } from '../../src/llm/offline/narrative-selection.js';
import { DEFAULT_SEARCH_TUNING } from '../../src/search/search-tuning.js';
import { crossValidate, type CrossValidationReport } from './cross-validation.js';
import { inProcessMeasures, type MeasuredUser } from './in-process-measures.js';
import { SEARCH_GRID, SEARCH_START, SELECTION_GRID, SELECTION_START } from './tuning-plan.js';

export interface CrossValidation extends CrossValidationReport {
  /**
   * Whether measuring in process with the shipped tunings gives, user by user and question by
   * question, what the product gave: the tuning search measures what the product would do.
   */
  inProcessMatchesProduct: boolean;
}

/** The evaluation's cross-validation of the search and narrative tunings over the users' conversations. */
export async function crossValidateUsers(
  users: readonly MeasuredUser[],
  options: { folds: number; searchLimit: number; attachedLimit: number; narrativeWords?: number },
  progress: (message: string) => void,
): Promise<CrossValidation> {
  const measures = inProcessMeasures(options);
  let inProcessMatchesProduct = true;
  const measured: MeasuredUser[] = [];
  for (const user of users) {
    const ranks = await measures.searchRanks(user, DEFAULT_SEARCH_TUNING);
    const coverage = await measures.coverage(user, DEFAULT_SELECTION_TUNING);
    // At another length than the product's, its narratives cannot be compared: the shipped
    // selection is measured in process at that length instead.
    const atProductLength = options.narrativeWords === undefined;
    measured.push(atProductLength ? user : { ...user, shipped: { ...user.shipped, coverage } });
    const same =
      (!atProductLength || coverage === user.shipped.coverage) &&
      JSON.stringify(ranks) === JSON.stringify(user.shipped.questions.map(({ category, search, attached }) => ({ category, search, attached })));
    if (!same) progress(`in-process figures of ${user.user} with the shipped tunings differ from the product's`);
    inProcessMatchesProduct &&= same;
  }
  const report = await crossValidate(measured, measures, {
    folds: options.folds,
    search: { start: SEARCH_START, grid: SEARCH_GRID },
    selection: { start: SELECTION_START, grid: SELECTION_GRID },
  });
  progress(`cross-validated over ${options.folds} folds`);
  return { ...report, inProcessMatchesProduct };
}
