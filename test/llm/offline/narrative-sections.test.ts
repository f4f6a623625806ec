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

  it('counts a word for a person only for someone of theirs, someone they are with, or someone named', () => {
    expect(classifyMemory('Sam has a sister who lives in Oslo.')).toBe('people');
    expect(classifyMemory("Sam's two kids started swimming lessons.")).toBe('people');
    expect(classifyMemory('Sam spends Sundays with friends.')).toBe('people');
    expect(classifyMemory('Sam loves being around friends.')).toBe('people');
    expect(classifyMemory('Sam is researching adoption agencies with the dream of having a family and kids.')).toBe('goals');
    expect(classifyMemory('Sam values the joy that kids bring.')).toBe('identity');
  });

  it('reads a trailing clause of purpose as how something was done, not as a plan', () => {
    expect(classifyMemory('Sam painted a mural of the harbour, aiming to capture its calm.')).toBe('interests');
    expect(classifyMemory('Sam is aiming to run a marathon.')).toBe('goals');
  });

  it('says who the user is when no lexicon matches', () => {
    expect(classifyMemory('Caroline started transitioning three years ago.')).toBe('identity');
  });
});
