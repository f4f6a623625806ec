import type { TargetCheck } from './bench-run.js';

/** A target of the form "figure ≥ limit unit". */
export function atLeast(figure: string, measured: number, limit: number, unit: string): TargetCheck {
  return { target: `${figure} ≥ ${limit.toLocaleString('en-US')}${unit === '' ? '' : ` ${unit}`}`, measured, met: measured >= limit };
}
