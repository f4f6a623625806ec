/**
 * How many cases each property of the reliability suite tries: modest by default, so the suite
 * fits in CI; `RELIABILITY_RUNS=1000 npm run test:reliability` searches much harder.
 */
export function reliabilityRuns(defaultRuns: number): number {
  const asked = Number(process.env.RELIABILITY_RUNS);
  return Number.isInteger(asked) && asked > 0 ? asked : defaultRuns;
}
