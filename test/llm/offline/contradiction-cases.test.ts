import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../../src/config/project-path.js';
import { OfflineProvider } from '../../../src/llm/offline/offline-provider.js';
import { judgeNarrative, readContradictionCases } from '../../../scripts/eval/contradiction-eval.js';

const cases = await readContradictionCases(join(projectPath('data'), 'contradictions', 'cases.jsonl'));

describe('the offline writer on the repository\'s contradiction cases', () => {
  it.each(cases.map((testCase) => [testCase.case, testCase] as const))('states the current fact and not the replaced one: %s', async (_name, testCase) => {
    const narrative = await new OfflineProvider().writeNarrative({
      user: { externalId: testCase.user, displayName: null },
      memories: testCase.memories.map((memory, index) => ({ id: `memory-${index}`, content: memory.content, createdAt: new Date(memory.created_at) })),
      now: new Date('2026-01-01T00:00:00Z'),
      signal: new AbortController().signal,
    });

    expect(judgeNarrative(testCase, narrative.text)).toMatchObject({ missing: [], stated: [] });
  });

  it('covers every kind of disagreement the product promises to resolve', () => {
    expect(new Set(cases.map((testCase) => testCase.kind))).toEqual(
      new Set(['moved city', 'changed job', 'ended relationship', 'changed name', 'preference reversed', 'no contradiction']),
    );
  });
});
