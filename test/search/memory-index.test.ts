import { describe, expect, it } from 'vitest';
import { MemoryIndex, type IndexedMemory } from '../../src/search/memory-index.js';
import { DEFAULT_SEARCH_TUNING } from '../../src/search/search-tuning.js';
import { locomoMemories } from '../llm/offline/locomo-memories.js';

let next = 0;
function memory(content: string, createdAt = '2024-05-01T10:00:00Z', id = `m${String(next++).padStart(3, '0')}`): IndexedMemory {
  return { id, content, created_at: new Date(createdAt) };
}

function contents(found: readonly IndexedMemory[]): string[] {
  return found.map((found) => found.content);
}

/** The shipped signals but meaning, for tests of a word-level signal between memories alike in meaning. */
const WORDS_ONLY = { ...DEFAULT_SEARCH_TUNING, meaningWeight: 0 };

const WITHOUT = {
  pairs: { ...WORDS_ONLY, pairWeight: 0 },
  variants: { ...WORDS_ONLY, variantWeight: 0 },
  dates: { ...WORDS_ONLY, dateBoost: 0 },
  neighbours: { ...WORDS_ONLY, neighbourShare: 0 },
  when: { ...WORDS_ONLY, whenBoost: 0 },
};

describe('the memory index', () => {
  it('finds only memories sharing a word with the query, the rarer word weighing more', () => {
    const index = MemoryIndex.build([
      memory('Sam walks the dog every morning.'),
      memory('Sam walks to work.'),
      memory('Sam bakes bread on Sundays.'),
      memory('Sam likes the dog park.'),
    ]);
    expect(index.size).toBe(4);
    expect(contents(index.search('bread and walks', 10))).toEqual(['Sam bakes bread on Sundays.', 'Sam walks to work.', 'Sam walks the dog every morning.']);
    expect(index.search('quantum physics', 10)).toEqual([]);
    expect(index.search('the of and', 10)).toEqual([]);
  });

  it('matches other forms of the same word', () => {
    const index = MemoryIndex.build([memory('Ana painted a sunrise over the lake.'), memory('Ana went swimming.')]);
    expect(contents(index.search('paintings', 5))).toEqual(['Ana painted a sunrise over the lake.']);
  });

  it('returns at most `limit` memories, with scores best first', () => {
    const index = MemoryIndex.build(Array.from({ length: 30 }, (_, i) => memory(`Note ${i} about the garden${' garden'.repeat(i % 3)}.`)));
    const ranked = index.rank('garden', 7);
    expect(ranked).toHaveLength(7);
    const scores = ranked.map(({ score }) => score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(index.search('garden', 0)).toEqual([]);
  });

  it('breaks ties newer first, then by id, whatever order the memories came in', () => {
    // Without the conversation signal, which would lift the two memories told together.
    const memories = [
      memory('Kim plays chess.', '2024-01-01T10:00:00Z', 'b'),
      memory('Kim plays chess!', '2024-03-01T10:00:00Z', 'c'),
      memory('Kim plays chess?', '2024-01-01T10:00:00Z', 'a'),
    ];
    const expected = ['c', 'a', 'b'];
    expect(MemoryIndex.build(memories, WITHOUT.neighbours).search('chess', 3).map((found) => found.id)).toEqual(expected);
    expect(MemoryIndex.build([...memories].reverse(), WITHOUT.neighbours).search('chess', 3).map((found) => found.id)).toEqual(expected);
  });

  it('ranks a LoCoMo user the same whatever order the memories came in', () => {
    const memories = locomoMemories('locomo-26-caroline').map((m) => ({ id: m.id, content: m.content, created_at: m.createdAt }));
    const shuffled = [...memories].sort((a, b) => (a.content.length % 7) - (b.content.length % 7) || (a.id < b.id ? 1 : -1));
    for (const query of ['When did Caroline go to the LGBTQ support group?', 'adoption agencies in June 2023', 'What does she paint?']) {
      expect(MemoryIndex.build(shuffled).rank(query, 20)).toEqual(MemoryIndex.build(memories).rank(query, 20));
    }
  });

  it('prefers a memory with the query words next to each other', () => {
    const memories = [
      memory('Leo took the trip down by the old road to the coast.', '2024-01-01T10:00:00Z'),
      memory('Leo went on a road trip with the old coast crew.', '2024-01-09T10:00:00Z'),
    ];
    const newerFirst = [...memories].reverse().map((found) => found.content);
    expect(contents(MemoryIndex.build(memories, WITHOUT.pairs).search('road trip', 2))).toEqual(
      contents(MemoryIndex.build(memories, WITHOUT.pairs).search('trip road', 2)),
    );
    expect(contents(MemoryIndex.build(memories, WORDS_ONLY).search('the road trip', 2))).toEqual(newerFirst);
    const olderFirstWithoutPairs = MemoryIndex.build(
      [memory('Leo went on a road trip.', '2024-01-01T10:00:00Z'), memory('Leo: trip to the road works.', '2024-01-09T10:00:00Z')],
      WITHOUT.pairs,
    );
    expect(contents(olderFirstWithoutPairs.search('road trip', 1))).toEqual(['Leo: trip to the road works.']);
    const olderFirst = MemoryIndex.build(
      [memory('Leo went on a road trip.', '2024-01-01T10:00:00Z'), memory('Leo: trip to the road works.', '2024-01-09T10:00:00Z')],
      WORDS_ONLY,
    );
    expect(contents(olderFirst.search('road trip', 1))).toEqual(['Leo went on a road trip.']);
  });

  it('finds two words written as one ("roadtrip" finds "road trip")', () => {
    const memories = [memory('Mia planned a road trip to Utah.'), memory('Mia fixed the road bike.')];
    expect(contents(MemoryIndex.build(memories).search('roadtrip', 5))).toEqual(['Mia planned a road trip to Utah.']);
  });

  it("reads a word the user never used as the user's own close spelling or form of it", () => {
    const memories = [
      memory('Ivy wants to continue her education in psychology.'),
      memory('Ivy got a necklace from her grandmother in Sweden.'),
      memory('Ivy is allergic to cats.'),
      memory('Ivy likes long walks.'),
    ];
    const index = MemoryIndex.build(memories);
    expect(contents(index.search('her educaton', 1))).toEqual(['Ivy wants to continue her education in psychology.']);
    expect(contents(index.search('where is her grandma from', 1))).toEqual(['Ivy got a necklace from her grandmother in Sweden.']);
    expect(contents(index.search('allergies', 1))).toEqual(['Ivy is allergic to cats.']);
    const without = MemoryIndex.build(memories, WITHOUT.variants);
    expect(without.search('educaton grandma allergies', 5)).toEqual([]);
  });

  it('reads a misspelt word as the word the user wrote, however differently the two are stemmed', () => {
    const index = MemoryIndex.build([memory('Ivy studies psychology at night.'), memory('Ivy plays tennis.')]);
    expect(contents(index.search('what she studeis', 5))).toEqual(['Ivy studies psychology at night.']);
  });

  it('finds a misspelt word that the stemmer cuts differently from the word meant', () => {
    const index = MemoryIndex.build([memory('Nate won a big tournament.'), memory('Nate went to the store.')]);
    expect(contents(index.search('which torunament', 5))).toEqual(['Nate won a big tournament.']);
  });

  it('does not read a word as an unrelated one whose stem is a letter away', () => {
    const index = MemoryIndex.build([memory('Ivy stays positive.'), memory('Ivy votes.')]);
    expect(index.search('her political views', 5)).toEqual([]);
  });

  it('finds another form of a word that the stemmer cuts shorter', () => {
    const index = MemoryIndex.build([memory('Nate is experimenting with flavors.'), memory('Nate went to the store.')]);
    expect(contents(index.search('his experimentation', 5))).toEqual(['Nate is experimenting with flavors.']);
  });

  it('does not stretch a word the user did use, nor a short one', () => {
    const index = MemoryIndex.build([memory('Ivy paints at night.'), memory('Ivy met a painter.'), memory('Ivy has a cat.')]);
    expect(contents(index.search('painters', 5))).toEqual(['Ivy met a painter.']);
    expect(index.search('cap', 5)).toEqual([]);
  });

  it('ranks memories from a date the query names above equally relevant ones', () => {
    const memories = [
      memory('Zoe ran a charity race.', '2023-05-20T10:00:00Z'),
      memory('Zoe ran a charity race again.', '2023-07-03T10:00:00Z'),
      memory('Zoe may run a race.', '2023-08-03T10:00:00Z'),
    ];
    const index = MemoryIndex.build(memories);
    expect(contents(index.search('the charity race in May 2023', 1))).toEqual(['Zoe ran a charity race.']);
    expect(contents(index.search('charity race on 3 July, 2023', 1))).toEqual(['Zoe ran a charity race again.']);
    expect(contents(index.search('charity race last May', 1))).toEqual(['Zoe ran a charity race.']);
    expect(contents(MemoryIndex.build(memories, WITHOUT.dates).search('the charity race in May 2023', 1))).toEqual([
      'Zoe ran a charity race again.',
    ]);
    // A named date is not searched for as a word: "May" here is not the verb of the third memory.
    expect(index.search('in May 2023', 5)).toEqual([]);
  });

  it('lifts the memories told in the same conversation as the best match', () => {
    const memories = [
      memory('Eli adopted a rescue dog named Pepper.', '2024-02-01T10:00:00Z'),
      memory('Eli walks Pepper by the river.', '2024-02-01T10:01:00Z'),
      memory('Eli walks by the river at night.', '2024-03-05T10:00:00Z'),
    ];
    const query = 'Eli adopted a rescue dog. Where does he walk by the river?';
    expect(contents(MemoryIndex.build(memories, WITHOUT.neighbours).search(query, 3)).slice(1)).toEqual([
      'Eli walks by the river at night.',
      'Eli walks Pepper by the river.',
    ]);
    expect(contents(MemoryIndex.build(memories).search(query, 3)).slice(1)).toEqual([
      'Eli walks Pepper by the river.',
      'Eli walks by the river at night.',
    ]);
  });

  it('ranks the memory that says when above an equally relevant one, for a question about when', () => {
    const memories = [
      memory('Ana started the pottery class with Mia Lopez.', '2024-03-01T10:00:00Z'),
      memory('Ana started the pottery class last Friday.', '2024-02-01T10:00:00Z'),
    ];
    const withBoost = MemoryIndex.build(memories, { ...WORDS_ONLY, whenBoost: 1 });
    const without = MemoryIndex.build(memories, WITHOUT.when);
    const said = 'Ana started the pottery class last Friday.';
    expect(contents(without.search('When did Ana start the pottery class?', 2))[1]).toBe(said);
    expect(contents(withBoost.search('When did Ana start the pottery class?', 2))[0]).toBe(said);
    expect(contents(withBoost.search('How long has Ana had the pottery class?', 2))[0]).toBe(said);
    // A question about what, not when, ranks as without the lift.
    expect(contents(withBoost.search('What did Ana start, a pottery class?', 2))[1]).toBe(said);
  });
});

describe('the meaning signal', () => {
  const memories = [
    memory('Caroline went camping in the mountains with her family.', '2024-01-01T10:00:00Z'),
    memory('Caroline filed her taxes at the bank.', '2024-03-01T10:00:00Z'),
    memory('Caroline bought a new phone charger.', '2024-05-01T10:00:00Z'),
  ];
  const camping = 'Caroline went camping in the mountains with her family.';

  it('ranks a memory near the question in meaning above unrelated ones, though it shares no word of it but the name', () => {
    const question = 'Would Caroline enjoy a national park?';
    expect(contents(MemoryIndex.build(memories, WORDS_ONLY).search(question, 3))[2]).toBe(camping);
    expect(contents(MemoryIndex.build(memories).search(question, 3))[0]).toBe(camping);
  });

  it('brings a memory that shares no word with the question into its results when close in meaning, and no other', () => {
    const index = MemoryIndex.build([...memories, memory('Melanie hikes every weekend.', '2024-06-01T10:00:00Z')]);
    expect(contents(index.search('Does Melanie like being outdoors?', 2))).toEqual(['Melanie hikes every weekend.', camping]);
    expect(contents(MemoryIndex.build(memories.concat(memory('Melanie hikes every weekend.')), WORDS_ONLY).search('Does Melanie like being outdoors?', 2))).toEqual([
      'Melanie hikes every weekend.',
    ]);
  });

  it('ranks by words alone when asked to, as a person searching what they wrote expects', () => {
    const all = [...memories, memory('Melanie hikes every weekend.', '2024-06-01T10:00:00Z')];
    const question = 'Does Melanie like being outdoors?';
    expect(MemoryIndex.build(all).rank(question, 3, { byMeaning: false })).toEqual(MemoryIndex.build(all, WORDS_ONLY).rank(question, 3));
    expect(contents(MemoryIndex.build(all).search(question, 3))).toContain(camping);
  });

  it('leaves out the memories that share no word with the question and are not close to it', () => {
    const index = MemoryIndex.build([memory('I adopted a cat named Miso.'), memory('I work as a nurse at the city hospital.'), memory('I bought a road bike.')]);
    expect(contents(index.search('How is my cat Miso doing?', 10))).toEqual(['I adopted a cat named Miso.']);
  });

  it('finds nothing for a question that shares no word with any memory', () => {
    expect(MemoryIndex.build(memories).search('Would she enjoy a national park?', 3)).toEqual([]);
  });

  it('weighs meaning over the newest thousand memories only, so a search of many stays quick', () => {
    const filler = Array.from({ length: 1_000 }, (_, n) => memory(`Paid bill number ${n} at the bank.`, new Date(Date.UTC(2024, 1, 1, 0, n)).toISOString()));
    const camping = 'Melanie went camping in the mountains.';
    const question = 'Does Melanie like being outdoors?';
    const score = (index: MemoryIndex<IndexedMemory>) => index.rank(question, 5).find((ranked) => ranked.memory.content === camping)!.score;
    for (const [createdAt, gains] of [
      ['2025-01-01T00:00:00Z', true],
      ['2023-01-01T00:00:00Z', false],
    ] as const) {
      const memories = [...filler, memory(camping, createdAt)];
      expect(score(MemoryIndex.build(memories)) > score(MemoryIndex.build(memories, WORDS_ONLY))).toBe(gains);
    }
  });

  it('ignores a word the vectors do not have, in a question or in a memory', () => {
    const unknown = 'Zorblaxed qwfpgj.';
    const index = MemoryIndex.build([...memories, memory(unknown)]);
    const question = 'Would Caroline enjoy a national park?';
    expect(index.rank(`${question} Xyzzyq`, 4)).toEqual(index.rank(question, 4));
    expect(contents(index.search(question, 4)).filter((content) => content !== unknown)).toEqual(contents(MemoryIndex.build(memories).search(question, 3)));
    expect(contents(index.search('qwfpgj', 4))).toEqual([unknown]);
  });
});
