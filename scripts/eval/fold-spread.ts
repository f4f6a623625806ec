/** How one figure varies over folds. */
export interface Spread {
  /** The folds that measured it (a fold without a question of a kind does not). */
  folds: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 for fewer than two values. */
  sd: number;
  min: number;
  max: number;
}

export function spreadOf(measured: readonly (number | null)[]): Spread {
  const values = measured.filter((value) => value !== null);
  if (values.length === 0) return { folds: 0, mean: 0, sd: 0, min: 0, max: 0 };
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const squares = values.reduce((sum, value) => sum + (value - mean) ** 2, 0);
  return {
    folds: values.length,
    mean,
    sd: values.length < 2 ? 0 : Math.sqrt(squares / (values.length - 1)),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}
