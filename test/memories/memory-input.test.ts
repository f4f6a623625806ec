import { describe, expect, it } from 'vitest';
import { contentHash, memoryInputSchema } from '../../src/memories/memory-input.js';

const schema = memoryInputSchema(100);

function errorsFor(input: unknown): string[] {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

describe('memoryInputSchema', () => {
  it('accepts a memory with content, metadata and a creation time', () => {
    expect(
      schema.parse({ content: 'Went camping in June', metadata: { session: 3, tags: ['outdoors'] }, created_at: '2023-05-08T13:56:00Z' }),
    ).toEqual({
      content: 'Went camping in June',
      metadata: { session: 3, tags: ['outdoors'] },
      created_at: new Date('2023-05-08T13:56:00Z'),
    });
  });

  it('needs nothing but the content', () => {
    expect(schema.parse({ content: 'Likes tea' })).toEqual({ content: 'Likes tea' });
  });

  it('trims surrounding whitespace from the content', () => {
    expect(schema.parse({ content: '  \n Likes tea \t ' }).content).toBe('Likes tea');
  });

  it.each(['', '   ', '\n\t  \n'])('rejects empty or blank content %j', (content) => {
    expect(errorsFor({ content })).toEqual(['content is empty']);
  });

  it('rejects content that is not a string', () => {
    expect(errorsFor({ content: 42 })).toEqual(['content must be a string']);
    expect(errorsFor({})).toEqual(['content must be a string']);
  });

  it('accepts content up to the limit and rejects content beyond it', () => {
    expect(schema.safeParse({ content: 'x'.repeat(100) }).success).toBe(true);
    expect(schema.safeParse({ content: `  ${'x'.repeat(100)}  ` }).success).toBe(true);
    expect(errorsFor({ content: 'x'.repeat(101) })).toEqual(['content is longer than 100 characters']);
  });

  it.each([
    ['NUL', 'before\u0000after', '0000'],
    ['bell', 'ring\u0007ring', '0007'],
    ['escape', 'colour\u001b[31m', '001B'],
    ['vertical tab', 'one\u000Btwo', '000B'],
    ['delete', 'oops\u007F', '007F'],
  ])('rejects content with the %s control character', (_name, content, code) => {
    expect(errorsFor({ content })).toEqual([expect.stringContaining(`control character U+${code}`)]);
  });

  it('keeps tabs, newlines and carriage returns inside the content', () => {
    expect(schema.parse({ content: 'line one\r\n\tline two' }).content).toBe('line one\r\n\tline two');
  });

  it.each([
    ['a lone high surrogate', 'broken \uD83D text'],
    ['a lone low surrogate', 'broken \uDE00 text'],
  ])('rejects content with %s', (_name, content) => {
    expect(errorsFor({ content })).toEqual(['content is not valid Unicode (it has a lone surrogate)']);
  });

  it('accepts emoji and other characters outside the basic plane', () => {
    expect(schema.parse({ content: 'Loves 😀 and 𝄞' }).content).toBe('Loves 😀 and 𝄞');
  });

  it.each([
    ['an array', [1, 2]],
    ['a string', 'session 1'],
    ['a number', 7],
    ['null', null],
  ])('rejects metadata that is %s', (_name, metadata) => {
    expect(errorsFor({ content: 'ok', metadata })).toEqual(['metadata must be a JSON object']);
  });

  it('accepts metadata up to 16384 bytes of JSON and rejects more', () => {
    // {"n":"…"} is 8 bytes around the text.
    expect(schema.safeParse({ content: 'ok', metadata: { n: 'x'.repeat(16_376) } }).success).toBe(true);
    expect(errorsFor({ content: 'ok', metadata: { n: 'x'.repeat(16_377) } })).toEqual([
      'metadata is larger than 16384 bytes of JSON',
    ]);
  });

  it('measures the size of metadata in bytes, not characters', () => {
    expect(schema.safeParse({ content: 'ok', metadata: { n: 'é'.repeat(8_188) } }).success).toBe(true);
    expect(errorsFor({ content: 'ok', metadata: { n: 'é'.repeat(8_189) } })).toEqual([
      'metadata is larger than 16384 bytes of JSON',
    ]);
  });

  it.each([
    ['a value', { note: 'a\u0000b' }],
    ['a key', { 'bad\u0000key': 1 }],
    ['a nested value', { deep: { list: ['fine', 'not\u0000fine'] } }],
  ])('rejects metadata with a NUL character in %s', (_name, metadata) => {
    expect(errorsFor({ content: 'ok', metadata })).toEqual([
      'metadata contains a NUL character, which cannot be stored',
    ]);
  });

  it('accepts metadata whose text only spells out the characters \\u0000', () => {
    const metadata = { snippet: String.raw`printf("\u0000")` };
    expect(schema.parse({ content: 'ok', metadata }).metadata).toEqual(metadata);
  });

  it.each([
    ['a day that does not exist', '2023-02-30T00:00:00Z'],
    ['a month that does not exist', '2023-13-01T00:00:00Z'],
    ['February 29 of a common year', '2023-02-29T12:00:00Z'],
    ['a word', 'yesterday'],
    ['a date without a time', '2023-05-08'],
    ['a time without a zone', '2023-05-08T13:56:00'],
  ])('rejects a creation time that is %s', (_name, created_at) => {
    expect(errorsFor({ content: 'ok', created_at })).toHaveLength(1);
  });

  it('rejects a creation time that is not a string', () => {
    expect(errorsFor({ content: 'ok', created_at: 1_683_554_160_000 })).toEqual(['created_at must be a string']);
  });

  it.each([
    ['UTC', '2023-05-08T13:56:00Z', '2023-05-08T13:56:00.000Z'],
    ['fractional seconds', '2023-05-08T13:56:00.250Z', '2023-05-08T13:56:00.250Z'],
    ['a positive offset', '2023-05-08T15:56:00+02:00', '2023-05-08T13:56:00.000Z'],
    ['a negative offset crossing midnight', '2023-05-08T23:30:00-02:00', '2023-05-09T01:30:00.000Z'],
    ['February 29 of a leap year', '2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('accepts a creation time in %s as the same instant', (_name, created_at, instant) => {
    expect(schema.parse({ content: 'ok', created_at }).created_at?.toISOString()).toBe(instant);
  });
});

describe('contentHash', () => {
  it('treats differences in case and spacing as the same text', () => {
    expect(contentHash('Likes  hiking\n in the ALPS ')).toBe(contentHash('likes hiking in the alps'));
  });

  it('treats the composed and decomposed forms of an accent as the same text', () => {
    expect(contentHash('caf\u00e9')).toBe(contentHash('cafe\u0301'));
  });

  it('tells different words apart', () => {
    expect(contentHash('likes hiking')).not.toBe(contentHash('likes biking'));
    expect(contentHash('likes hiking')).not.toBe(contentHash('likeshiking'));
  });
});
