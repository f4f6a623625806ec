/** How one figure varies over folds. */
export interface Spread {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for fewer than two values. */
  sd: number;
  min: number;
  max: number;
}

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) return { mean: 0, sd: 0, min: 0, max: 0 };
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const squares = values.reduce((sum, value) => sum + (value - mean) ** 2, 0);
  return {
    mean,
    sd: values.length < 2 ? 0 : Math.sqrt(squares / (values.length - 1)),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}
