import type { ContextSource } from '../../src/engine/context-service.js';

/** Fails the run when an answer did not come from where the measurement assumes (a "hit" that was not one is no figure). */
export function expectSource(where: string, actual: { source: ContextSource; reason: string | null }, expected: readonly ContextSource[]): void {
  if (!expected.includes(actual.source)) {
    throw new Error(
      `bench: ${where}: expected source ${expected.join(' or ')}, got ${actual.source}${actual.reason ? ` (${actual.reason})` : ''}; the figure would not measure what it claims`,
    );
  }
}
