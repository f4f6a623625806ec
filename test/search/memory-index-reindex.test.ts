import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryIndex, type IndexedMemory } from '../../src/search/memory-index.js';
import { DEFAULT_SEARCH_TUNING } from '../../src/search/search-tuning.js';
import { locomoMemories } from '../llm/offline/locomo-memories.js';

const LOCOMO: IndexedMemory[] = locomoMemories('locomo-26-caroline').map((m) => ({ id: m.id, content: m.content, created_at: m.createdAt }));
const NEW_TEXTS = [
  'Caroline bought a bright yellow kayak named Sunflower.',
  'Caroline went on a roadtrip to the coast in May 2023.',
  'Caroline and Melanie painted sunflowers together.',
  'Caroline is reading about adoption agencies again.',
];
const QUERIES = [
  'When did Caroline go to the LGBTQ support group?',
  'adoption agencies in June 2023',
  'What does she paint?',
  'yellow kayak sunflower',
  'road trip',
  'her educaton and careers in counseling',
  'What should I plan for this weekend?',
];

function ranking(index: MemoryIndex<IndexedMemory>, query: string): [string, number][] {
  return index.rank(query, 20).map(({ memory, score }) => [memory.id, score]);
}

interface Change {
  kept: boolean[];
  added: string[];
  rewritten: number[];
}

/** A user's memories after a change: some forgotten, some added (newest first, as the tier holds them), some rewritten in place. */
const changes: fc.Arbitrary<Change> = fc.record({
  kept: fc.array(fc.boolean(), { minLength: LOCOMO.length, maxLength: LOCOMO.length }),
  added: fc.subarray(NEW_TEXTS),
  rewritten: fc.array(fc.nat({ max: LOCOMO.length - 1 }), { maxLength: 3 }),
});

function changed(before: readonly IndexedMemory[], change: Change): IndexedMemory[] {
  const added = change.added.map((content, i) => ({ id: `new/${i}`, content, created_at: new Date(Date.UTC(2024, 0, 1, 10, i)) }));
  const rewritten = new Set(change.rewritten);
  const kept = before
    .filter((_, i) => change.kept[i])
    .map((memory, i) => (rewritten.has(i) ? { ...memory, content: `${memory.content} She mentioned the kayak again.` } : memory));
  return [...added, ...kept];
}

describe('an index rebuilt from the one before', () => {
  it('ranks exactly as an index built afresh, whatever was added, forgotten or rewritten', () => {
    fc.assert(
      fc.property(changes, changes, (first, second) => {
        const earlier = changed(LOCOMO, first);
        const later = changed(earlier, second);
        const reindexed = MemoryIndex.build(earlier).reindex(later);
        const fresh = MemoryIndex.build(later);
        expect(reindexed.size).toBe(later.length);
        for (const query of QUERIES) expect(ranking(reindexed, query)).toEqual(ranking(fresh, query));
      }),
      { numRuns: 40 },
    );
  });

  it('reads a memory again when its text is not the one it indexed', () => {
    const before = [{ id: 'a', content: 'Theo plays the cello.', created_at: new Date('2024-01-01T10:00:00Z') }];
    const after = [{ id: 'a', content: 'Theo plays the violin.', created_at: new Date('2024-01-01T10:00:00Z') }];
    const reindexed = MemoryIndex.build(before).reindex(after);
    expect(reindexed.search('violin', 5).map((memory) => memory.content)).toEqual(['Theo plays the violin.']);
    expect(reindexed.search('cello', 5)).toEqual([]);
  });

  it('keeps the tuning of the index it starts from', () => {
    const withoutPairs = { ...DEFAULT_SEARCH_TUNING, pairWeight: 0 };
    const later = LOCOMO.slice(0, 60);
    const reindexed = MemoryIndex.build(LOCOMO.slice(10, 80), withoutPairs).reindex(later);
    for (const query of QUERIES) expect(ranking(reindexed, query)).toEqual(ranking(MemoryIndex.build(later, withoutPairs), query));
  });
});
