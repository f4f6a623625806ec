import { describe, expect, it } from 'vitest';
import { inProcessMeasures, type MeasuredUser } from '../../../scripts/eval/in-process-measures.js';
import { DEFAULT_SELECTION_TUNING } from '../../../src/llm/offline/narrative-selection.js';
import { locomoMemories } from '../../llm/offline/locomo-memories.js';

const USER = 'locomo-26-caroline';

/** Caroline, whose "events" are her own memories: a narrative covers one for each memory it keeps. */
function caroline(): MeasuredUser {
  const memories = locomoMemories(USER).map((memory) => ({ id: memory.id, content: memory.content, created_at: memory.createdAt }));
  return {
    user: USER,
    conversation: '26',
    shipped: { coverage: 0, questions: [] },
    promptUser: { externalId: USER, displayName: null },
    memories,
    evidenceOf: new Map(),
    events: memories.map((memory) => memory.content),
    questions: [],
  };
}

describe('the in-process measures', () => {
  it('measure the offline narrative at the length asked for, and at the provider\'s default without one', async () => {
    const user = caroline();
    const atDefault = await inProcessMeasures({ searchLimit: 20, attachedLimit: 10 }).coverage(user, DEFAULT_SELECTION_TUNING);
    const at600 = await inProcessMeasures({ searchLimit: 20, attachedLimit: 10, narrativeWords: 600 }).coverage(user, DEFAULT_SELECTION_TUNING);
    const at200 = await inProcessMeasures({ searchLimit: 20, attachedLimit: 10, narrativeWords: 200 }).coverage(user, DEFAULT_SELECTION_TUNING);
    expect(atDefault).toBe(at600);
    expect(at200).toBeLessThan(at600 / 2);
    expect(at200).toBeGreaterThan(0);
  });
});
