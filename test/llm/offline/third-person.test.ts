import { describe, expect, it } from 'vitest';
import { inThirdPerson, quotedAsSaid, thirdPersonSingular } from '../../../src/llm/offline/third-person.js';

const asDana = (sentence: string) => inThirdPerson(sentence, 'Dana');

describe('a memory in the first person, told in the third', () => {
  it('names the user and agrees the verb with the name', () => {
    expect(asDana('I love sailing.')).toBe('Dana loves sailing.');
    expect(asDana("I'm allergic to peanuts.")).toBe('Dana is allergic to peanuts.');
    expect(asDana('I am a software engineer.')).toBe('Dana is a software engineer.');
    expect(asDana('I’ve been learning Portuguese for two years.')).toBe('Dana has been learning Portuguese for two years.');
    expect(asDana('I have two cats.')).toBe('Dana has two cats.');
    expect(asDana('I was born in Porto.')).toBe('Dana was born in Porto.');
    expect(asDana("I don't eat meat.")).toBe("Dana doesn't eat meat.");
    expect(asDana("I'll start a new job in May.")).toBe('Dana will start a new job in May.');
    expect(asDana("I'd like to learn the cello.")).toBe('Dana would like to learn the cello.');
    expect(asDana('I adopted a cat and went to Japan.')).toBe('Dana adopted a cat and went to Japan.');
  });

  it('spells the third person of present verbs by the usual rules', () => {
    expect(['watch', 'miss', 'go', 'fix', 'study', 'play', 'need', 'have'].map(thirdPersonSingular)).toEqual([
      'watches',
      'misses',
      'goes',
      'fixes',
      'studies',
      'plays',
      'needs',
      'has',
    ]);
    expect(asDana('I really enjoy hiking in the Alps.')).toBe('Dana really enjoys hiking in the Alps.');
    expect(asDana('I usually study on Fridays.')).toBe('Dana usually studies on Fridays.');
  });

  it('turns my, me and myself into the name’s possessive at first mention, then their, them and themselves', () => {
    expect(asDana('My sister Ana moved to Lisbon.')).toBe("Dana's sister Ana moved to Lisbon.");
    expect(asDana('My brother lent me his car.')).toBe("Dana's brother lent them his car.");
    expect(asDana('I fixed my bike myself.')).toBe('Dana fixed their bike themselves.');
    expect(asDana("I paint when I can't sleep and I was tired.")).toBe("Dana paints when they can't sleep and they were tired.");
    expect(inThirdPerson('My kids are 4 and 7.', 'the user')).toBe("The user's kids are 4 and 7.");
    expect(inThirdPerson('Yesterday I met my mentor.', 'the user')).toBe('Yesterday the user met their mentor.');
  });

  it('leaves a sentence without the first person as it is, and words the user quoted', () => {
    expect(asDana('Caroline attended a support group.')).toBe('Caroline attended a support group.');
    expect(asDana('John believes nature helps in calming us down.')).toBe('John believes nature helps in calming us down.');
    expect(asDana('Melanie carves out me-time each day.')).toBe('Melanie carves out me-time each day.');
    expect(asDana('I love the song "I Will Survive".')).toBe('Dana loves the song "I Will Survive".');
  });

  it('gives up where the rewrite would be a guess: we and our, a tense that cannot be told, a question, I and someone', () => {
    expect(asDana('We adopted a dog named Rex.')).toBeUndefined();
    expect(asDana('Our team won the regional race.')).toBeUndefined();
    expect(asDana('I read that book twice.')).toBeUndefined();
    expect(asDana('I quit my job.')).toBeUndefined();
    expect(asDana('Should I move to Porto?')).toBeUndefined();
    expect(asDana('My partner and I are renovating the kitchen.')).toBeUndefined();
    expect(asDana("I'd seen better.")).toBe('Dana had seen better.');
    expect(asDana("I'd go.")).toBeUndefined();
  });

  it('quotes what it cannot rewrite as the user’s words', () => {
    expect(quotedAsSaid('We adopted a dog named Rex.', 'the user')).toBe('The user said: “We adopted a dog named Rex.”');
  });
});
