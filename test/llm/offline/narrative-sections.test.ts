import { describe, expect, it } from 'vitest';
import { classifyMemory } from '../../../src/llm/offline/narrative-sections.js';

describe('the section of a memory', () => {
  it('is people for family, friends, partners and pets', () => {
    expect(classifyMemory('Melanie took her kids and her husband to the museum.')).toBe('people');
    expect(classifyMemory('Audrey adopted a puppy named Pixie.')).toBe('people');
  });

  it('is work for jobs, careers, projects, businesses and school', () => {
    expect(classifyMemory('John got promoted to assistant manager at his company.')).toBe('work');
    expect(classifyMemory('Tim is busy with assignments and exams this week.')).toBe('work');
  });

  it('is interests for hobbies and what the user enjoys', () => {
    expect(classifyMemory('Nate enjoys playing video games and watching movies.')).toBe('interests');
  });

  it('is goals for plans, hopes and dreams, even about work', () => {
    expect(classifyMemory('Jon plans to open his own dance studio.')).toBe('goals');
    expect(classifyMemory('Caroline is considering a career in counseling.')).toBe('goals');
  });

  it('says who the user is when no lexicon matches', () => {
    expect(classifyMemory('Caroline started transitioning three years ago.')).toBe('identity');
  });
});
