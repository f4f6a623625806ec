import { describe, expect, it } from 'vitest';
import { factClaims, SELF } from '../../src/text/fact-claims.js';
import { supersededMemories } from '../../src/text/superseded-memories.js';

/** Memories a day apart, oldest first, with ids m0, m1… */
function said(...texts: string[]) {
  return texts.map((text, day) => ({ id: `m${day}`, text, createdAt: new Date(Date.UTC(2025, 0, 1 + day)) }));
}

describe('supersededMemories', () => {
  it.each([
    ['a move', 'We live in Utrecht.', 'We relocated to Rotterdam in the spring.'],
    ['a move told in the third person', 'Ines is based in Madrid.', 'Ines moved back to Seville to run the family shop.'],
    ['a new employer', 'I work for a logistics firm near the airport.', 'I took a new position at the city library.'],
    ['a lost job', 'Marek works as a welder in the shipyard.', 'Marek was laid off when the yard closed.'],
    ['a retirement', 'I work as a postman.', 'I have finally retired.'],
    ['a new partner', 'My girlfriend Hana loves sailing.', 'I am seeing Ruth now.'],
    ['an engagement called off', 'I am engaged to Leo.', 'Leo and I called off the engagement.'],
    ['a name', 'Call me Jo.', 'I go by Joanne at work and everywhere else now.'],
    ['a favourite', 'Her favourite city is Kyoto.', 'Her favourite city is now Lisbon.'],
    ['a liking given up', 'I enjoy running marathons.', 'I gave up running after my knee injury.'],
    ['a dislike overcome', "I can't stand olives.", 'I love olives now, strangely.'],
  ])('lets the newer of two memories win over %s', (_what, older, newer) => {
    expect(supersededMemories(said(older, newer))).toEqual(new Set(['m0']));
  });

  it('decides by date, not by the order the memories arrive in', () => {
    const [older, newer] = said('I live in Utrecht.', 'I moved to Rotterdam.');
    expect(supersededMemories([newer!, older!])).toEqual(new Set(['m0']));
  });

  it.each([
    ['the same value said again, with more detail', 'I live in Berlin.', 'I live in Berlin with my partner and our two cats.'],
    ['a different person', 'I live in Bergen.', 'My brother moved to Oslo.'],
    ['a different thing liked', 'I love jazz.', 'I love hiking.'],
    ['likings that only share a word', 'I love Italian food.', "I don't like spicy food."],
    ['a past residence, which says nothing of now', 'I live in Rome.', 'I lived in Paris as a student.'],
    ['a move that names no place', 'I live in Leeds.', 'I moved to a bigger flat last spring.'],
    ['being moved, not moving', 'Sara lives in Bristol.', 'Sara was moved to tears by the film.'],
    ['a new job after losing the old one', 'I lost my job at the mill.', 'I found a job at a bakery.'],
    ['a promotion where they work', 'Sam works as a nurse at the city hospital.', 'Sam got promoted to head of the ward.'],
  ])('keeps both memories for %s', (_what, older, newer) => {
    expect(supersededMemories(said(older, newer))).toEqual(new Set());
  });

  it('takes the name most memories open with for the user, as the first person is', () => {
    const memories = said('Caroline lives in Sweden.', 'Caroline paints.', 'Caroline went hiking.', 'I moved to Oslo.');
    expect(supersededMemories(memories)).toEqual(new Set(['m0']));
    expect(supersededMemories(said('Caroline lives in Sweden.', 'I moved to Oslo.'), ['Caroline'])).toEqual(new Set(['m0']));
  });

  it('does not let a memory that is itself replaced replace older ones', () => {
    const memories = said('I love coffee.', 'I gave up coffee in January.', 'I love coffee again.');
    expect(supersededMemories(memories)).toEqual(new Set(['m1']));
  });
});

describe('factClaims', () => {
  it('names the holder of each claim: the user, someone of theirs, or another person', () => {
    const claims = factClaims('My sister works as a pilot, and Tomás lives in Porto.', new Set());
    expect(claims.map(({ holder, slot }) => [holder, slot])).toEqual([
      ['tomás', 'home'],
      [`${SELF}'s sister`, 'job'],
    ]);
  });

  it('reads curly apostrophes as straight ones', () => {
    expect(factClaims('I’m dating Sam.', new Set())).toMatchObject([{ holder: SELF, slot: 'partner' }]);
  });
});
