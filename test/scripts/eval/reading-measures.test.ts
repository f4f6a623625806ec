import { describe, expect, it } from 'vitest';
import { isSupported, memoryStems, unsupportedSentences } from '../../../scripts/eval/faithfulness.js';
import { measuredUserNames } from '../../../scripts/eval/measured-user-names.js';
import { narrativeSentences } from '../../../scripts/eval/narrative-sentences.js';
import { readabilityViolations } from '../../../scripts/eval/readability.js';
import { measureReading, readingTotals } from '../../../scripts/eval/reading-measures.js';

function problemsOf(sentence: string, names: readonly string[] = ['dana']): string[] {
  return readabilityViolations([sentence], names).map((violation) => violation.problem);
}

describe('the sentences of a narrative', () => {
  it('leave out headings and the offline writer’s note, and take list items as sentences', () => {
    const text = [
      'Selected from 3 memories without an LLM: an extractive summary in the user’s own words.',
      '',
      '## Who they are',
      '',
      'Dana loves sailing. Dana works at St. Mary’s hospital with Dr. Ana Silva.',
      '- Dana has two cats.',
    ].join('\n');
    expect(narrativeSentences(text)).toEqual([
      'Dana loves sailing.',
      'Dana works at St. Mary’s hospital with Dr. Ana Silva.',
      'Dana has two cats.',
    ]);
  });

  it('keep a quoted sentence inside the sentence that quotes it, and split after the quote', () => {
    expect(narrativeSentences('Dana said: “We adopted a dog. His name is Rex.” Dana loves him.')).toEqual([
      'Dana said: “We adopted a dog. His name is Rex.”',
      'Dana loves him.',
    ]);
  });
});

describe('faithfulness', () => {
  const memories = ['I love sailing.', 'My sister Ana moved to Lisbon last month.', 'I go climbing every Sunday.'];
  const stems = memories.map(memoryStems);

  it('supports a sentence whose content words are all in one memory, whatever the person or tense of its verbs', () => {
    expect(isSupported('Dana loves sailing.', stems, ['dana'])).toBe(true);
    expect(isSupported('Dana goes climbing every Sunday.', stems, ['dana'])).toBe(true);
    expect(isSupported('The user said: “I love sailing.”', stems, [])).toBe(true);
  });

  it('sets dates aside: a writer may date what the memory said relative to when it was said', () => {
    expect(isSupported("Dana's sister Ana moved to Lisbon in April 2024.", stems, ['dana'])).toBe(true);
    expect(isSupported('Dana loves sailing (said in May 2024).', stems, ['dana'])).toBe(true);
  });

  it('does not support a sentence that joins two memories or adds a word no memory has', () => {
    expect(isSupported('Dana loves sailing with Ana.', stems, ['dana'])).toBe(false);
    expect(isSupported('Dana hates sailing.', stems, ['dana'])).toBe(false);
    expect(unsupportedSentences(['Dana loves sailing.', 'Dana loves Lisbon.'], memories, ['dana'])).toEqual(['Dana loves Lisbon.']);
  });

  it('does not set aside a name that is not the user’s', () => {
    expect(isSupported('Leo loves sailing.', stems, ['dana'])).toBe(false);
  });
});

describe('readability', () => {
  it('accepts a relative time only where the sentence says when it was said', () => {
    expect(problemsOf('Dana is planning to sail next summer (said in June 2024).')).toEqual([]);
    expect(problemsOf('In June 2024, Dana said: “I quit my job last week.”')).toEqual([]);
    expect(problemsOf('Caroline started transitioning in 2020.')).toEqual([]);
  });

  it('flags a relative time stated beside another date, or left unresolved', () => {
    expect(problemsOf('In June 2023, Caroline started transitioning three years ago.')).toEqual(['dangling_time']);
    expect(problemsOf('Dana visited her mom over the weekend.')).toEqual(['dangling_time']);
    expect(problemsOf('Dana recently took up pottery.')).toEqual(['dangling_time']);
    expect(problemsOf('Dana said: “I quit my job last week.”')).toEqual(['dangling_time']);
  });

  it('reads "the last year of college" and "the next day" as no time of saying', () => {
    expect(problemsOf('Dana spent the last year of college in Porto.')).toEqual([]);
    expect(problemsOf('Dana called Ana the next day.')).toEqual([]);
  });

  it('flags a sentence under four words, but not the user’s name and two words', () => {
    expect(problemsOf('Sailing.')).toEqual(['fragment']);
    expect(problemsOf('Great day out.')).toEqual(['fragment']);
    expect(problemsOf('Dana loves sailing.')).toEqual([]);
    expect(problemsOf('The user loves sailing.', [])).toEqual([]);
  });

  it('flags the first person in the narrative’s own voice, not in the user’s quoted words', () => {
    expect(problemsOf('I love sailing every weekend.')).toEqual(['first_person']);
    expect(problemsOf('Dana visited my sister in Lisbon.')).toEqual(['first_person']);
    expect(problemsOf('We adopted a dog named Rex.')).toEqual(['first_person']);
    expect(problemsOf('Dana said: “We adopted a dog named Rex.”')).toEqual([]);
  });

  it('accepts a generic "us" reported after a verb of belief, and "me-time"', () => {
    expect(problemsOf('John believes nature helps in calming us down.', ['john'])).toEqual([]);
    expect(problemsOf('Melanie carves out me-time each day.', ['melanie'])).toEqual([]);
  });
});

describe('the reading measures of a narrative', () => {
  it('find the user’s names in the display name, in the memories and in the name most memories open with', () => {
    expect(measuredUserNames(['I love sailing.'], 'Dana Reis')).toEqual(['dana']);
    expect(measuredUserNames(['My name is Dana.', 'I love sailing.'])).toEqual(['dana']);
    expect(measuredUserNames(['Caroline went hiking.', 'Caroline paints.', 'The weather was bad.'])).toEqual(['caroline']);
  });

  it('count every violation over the narratives', () => {
    const memories = ['My name is Dana.', 'I love sailing on weekends.', 'I recently took up pottery.'];
    const good = measureReading('## Who they are\n\nDana loves sailing on weekends. Dana recently took up pottery (said in May 2024).', memories);
    const bad = measureReading('## Who they are\n\nI love sailing on weekends. Dana recently took up pottery. Dana loves pottery.', memories);
    expect(good).toEqual({ sentences: 2, unsupported: [], violations: [] });
    expect(bad.unsupported).toEqual(['Dana loves pottery.']);
    expect(readingTotals([good, bad, null])).toEqual({ sentences: 5, unsupported: 1, dangling_time: 1, fragment: 0, first_person: 1 });
  });
});
