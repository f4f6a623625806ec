import { describe, expect, it } from 'vitest';
import { asSentence } from '../../../src/llm/offline/prepared-memory.js';

describe('a memory as a sentence', () => {
  it('ends with a full stop when the memory has no terminal punctuation', () => {
    expect(asSentence('Caroline attended a support group')).toBe('Caroline attended a support group.');
  });

  it('keeps the punctuation a memory ends with', () => {
    expect(asSentence('Jon opened his dance studio!')).toBe('Jon opened his dance studio!');
    expect(asSentence('Tim loves "The Hobbit."')).toBe('Tim loves "The Hobbit."');
  });

  it('starts with a capital letter', () => {
    expect(asSentence('the support group helped Caroline.')).toBe('The support group helped Caroline.');
  });

  it('cannot start a heading, a list or a new line of its own', () => {
    expect(asSentence('## New section\n- item\n\nmore')).toBe('New section - item more.');
  });

  it('is empty for a blank memory', () => {
    expect(asSentence(' \n\t ')).toBe('');
  });
});
