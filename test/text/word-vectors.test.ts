import { describe, expect, it } from 'vitest';
import { decodeWordVectors, encodeWordVectors, loadWordVectors, WordVectors } from '../../src/text/word-vectors.js';

/** The cosine of two words' vectors. */
function similarity(vectors: WordVectors, a: string, b: string): number {
  const unit = new Float32Array(vectors.dimensions);
  vectors.addTo(unit, 0, vectors.rowOf(a), 1);
  const other = new Float32Array(vectors.dimensions);
  vectors.addTo(other, 0, vectors.rowOf(b), 1);
  return unit.reduce((sum, value, d) => sum + value * other[d]!, 0);
}

describe('the word vectors', () => {
  it("loads the project's asset once, with words near in meaning near each other", () => {
    const vectors = loadWordVectors();
    expect(loadWordVectors()).toBe(vectors);
    expect(vectors.size).toBe(40_000);
    expect(vectors.dimensions).toBe(99);
    expect(similarity(vectors, 'concert', 'orchestra')).toBeGreaterThan(similarity(vectors, 'concert', 'mortgage') + 0.3);
    expect(similarity(vectors, 'camping', 'hiking')).toBeGreaterThan(similarity(vectors, 'camping', 'taxes') + 0.3);
    expect(similarity(vectors, 'camping', 'camping')).toBeCloseTo(1, 5);
  });

  it('has no row for a stop word, a short word or a word it does not know', () => {
    const vectors = loadWordVectors();
    for (const word of ['the', 'would', 'ok', 'zorblaxed', 'Concert']) expect(vectors.rowOf(word)).toBe(-1);
  });

  it('weighs a common word as telling less than a rare one', () => {
    const vectors = loadWordVectors();
    expect(vectors.rarity(vectors.rowOf('time'))).toBeLessThan(0.2);
    expect(vectors.rarity(vectors.rowOf('orchestra'))).toBeGreaterThan(0.5);
    expect(vectors.rarity(vectors.rowOf('orchestra'))).toBeLessThan(1);
  });

  it('reads back what it writes', () => {
    const encoded = { words: ['alpha', 'beta'], dimensions: 3, bytes: Int8Array.from([127, 0, -5, 1, -127, 64]) };
    const decoded = decodeWordVectors(encodeWordVectors(encoded));
    expect(decoded.words).toEqual(encoded.words);
    expect(decoded.dimensions).toBe(3);
    expect([...decoded.bytes]).toEqual([...encoded.bytes]);
    const vectors = new WordVectors(decoded);
    const beta = new Float32Array(3);
    vectors.addTo(beta, 0, vectors.rowOf('beta'), 2);
    expect([...beta].map((value) => Number(value.toFixed(4)))).toEqual([1, -127, 64].map((value) => Number(((2 * value) / Math.hypot(1, 127, 64)).toFixed(4))));
  });

  it('refuses a file that is not word vectors, saying how to make one', () => {
    expect(() => decodeWordVectors(Buffer.alloc(64))).toThrow(/derive it again with scripts\/derive-word-vectors\.ts/);
  });
});
