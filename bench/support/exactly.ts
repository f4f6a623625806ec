import type { TargetCheck } from './bench-run.js';

/** A target of the form "figure = expected". */
export function exactly(figure: string, measured: number, expected: number): TargetCheck {
  return { target: `${figure} = ${expected}`, measured, met: measured === expected };
}
