import { describe, expect, it } from 'vitest';
import { externalIdSchema } from '../../src/users/external-id.js';

describe('externalIdSchema', () => {
  it.each(['locomo-26-caroline', 'a@b.c', 'team:user_7+work', 'José', '42'])('accepts %j', (id) => {
    expect(externalIdSchema.parse(id)).toBe(id);
  });

  it('trims surrounding whitespace', () => {
    expect(externalIdSchema.parse('  caroline \n')).toBe('caroline');
  });

  it('accepts an id of 200 characters and rejects one of 201', () => {
    expect(externalIdSchema.safeParse('a'.repeat(200)).success).toBe(true);
    expect(externalIdSchema.safeParse('a'.repeat(201)).error?.issues.map((issue) => issue.message)).toEqual([
      'user id is longer than 200 characters',
    ]);
  });

  it.each(['', '   '])('rejects the empty id %j', (id) => {
    expect(externalIdSchema.safeParse(id).error?.issues.map((issue) => issue.message)).toContain('user id is empty');
  });

  it.each(['caroline smith', 'caroline"', "o'brien", 'a/b', 'a\\b', 'semi;colon', 'new\nline', 'tab\tid'])(
    'rejects %j, which has a character other than letters, digits and . _ : @ + -',
    (id) => {
      expect(externalIdSchema.safeParse(id).error?.issues.map((issue) => issue.message)).toEqual([
        'user id may contain only letters, digits and . _ : @ + -',
      ]);
    },
  );

  it('rejects an id that is not a string', () => {
    expect(externalIdSchema.safeParse(26).error?.issues.map((issue) => issue.message)).toEqual([
      'user id must be a string',
    ]);
  });
});
