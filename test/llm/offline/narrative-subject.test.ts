import { describe, expect, it } from 'vitest';
import type { PromptMemory } from '../../../src/llm/llm-provider.js';
import { narrativeSubject, onlyGivesName } from '../../../src/llm/offline/narrative-subject.js';

const said = (content: string, day: number): PromptMemory => ({ id: content, content, createdAt: new Date(Date.UTC(2024, 0, day)) });
const anonymous = { externalId: 'dana@example.com', displayName: null };

describe('what the narrative calls its user', () => {
  it('is the first word of the display name when there is one', () => {
    expect(narrativeSubject({ externalId: 'x', displayName: ' Dana Reis ' }, [said('My name is Ana.', 1)])).toBe('Dana');
  });

  it('is the name the user gave in their newest memory that gives one', () => {
    expect(narrativeSubject(anonymous, [said('My name is Dana.', 1), said('I love sailing.', 2)])).toBe('Dana');
    expect(narrativeSubject(anonymous, [said('My name is Dana.', 1), said('Call me Dee from now on.', 2)])).toBe('Dee');
  });

  it('is the name most memories open with, else "the user", never the external id', () => {
    expect(narrativeSubject(anonymous, [said('Caroline went hiking.', 1), said('Caroline paints.', 2)])).toBe('Caroline');
    expect(narrativeSubject(anonymous, [said('I love sailing.', 1)])).toBe('the user');
  });
});

describe('a memory that only gives the name', () => {
  it('is one that says nothing else', () => {
    expect(onlyGivesName('My name is Dana.')).toBe(true);
    expect(onlyGivesName('Hi, call me Dana!')).toBe(true);
    expect(onlyGivesName('My name is Dana and I love sailing.')).toBe(false);
  });
});
