/** The values each tuned number may take; numbers without an entry stay as they start. */
export type TuningGrid<T> = { readonly [K in keyof T]?: readonly number[] };

/** Every grid value of one number, others fixed, with the objective it gave: what the choice saw. */
export type NumberProfile = { value: number; score: number }[];

export interface DescentResult<T> {
  tuning: T;
  score: number;
  /** Per tuned number, the objective over its grid with the others at their chosen values. */
  profiles: Record<string, NumberProfile>;
}

/**
 * A small, honest search: from `start`, each number in turn takes the grid value that scores best
 * with the others held, pass after pass until none moves (at most `passes`). A tie keeps the value
 * it has, so a number that makes no difference never moves from where it started.
 */
export async function coordinateDescent<T extends Record<keyof T, number>>(
  start: T,
  grid: TuningGrid<T>,
  objective: (tuning: T) => Promise<number>,
  passes = 3,
): Promise<DescentResult<T>> {
  let tuning = { ...start };
  let score = await objective(tuning);
  const keys = (Object.keys(grid) as (keyof T & string)[]).filter((key) => (grid[key]?.length ?? 0) > 0);
  const profiles: Record<string, NumberProfile> = {};
  for (let pass = 0; pass < passes; pass += 1) {
    let moved = false;
    for (const key of keys) {
      const profile: NumberProfile = [];
      for (const value of grid[key]!) {
        const candidate = { ...tuning, [key]: value };
        const candidateScore = value === tuning[key] ? score : await objective(candidate);
        profile.push({ value, score: candidateScore });
        if (candidateScore > score + 1e-12) {
          tuning = candidate;
          score = candidateScore;
          moved = true;
        }
      }
      profiles[key] = profile;
    }
    if (!moved) break;
  }
  return { tuning, score, profiles };
}
