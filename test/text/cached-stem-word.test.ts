import { describe, expect, it } from 'vitest';
import { cachedStemWord } from '../../src/text/cached-stem-word.js';

describe('stemming a word', () => {
  it('gives a word and its inflected forms one stem', () => {
    expect(cachedStemWord('movies')).toBe(cachedStemWord('movie'));
    expect(cachedStemWord('studied')).toBe(cachedStemWord('study'));
    expect(cachedStemWord('tried')).toBe(cachedStemWord('try'));
    expect(cachedStemWord('cookies')).toBe(cachedStemWord('cookie'));
    expect(cachedStemWord('families')).toBe(cachedStemWord('family'));
  });

  it('keeps words that only look like forms of each other apart', () => {
    expect(cachedStemWord('news')).not.toBe(cachedStemWord('new'));
    expect(cachedStemWord('string')).not.toBe(cachedStemWord('str'));
  });

  it('stems as the official Snowball English vocabulary says', () => {
    const official: [word: string, stem: string][] = [
      ['consign', 'consign'],
      ['consigned', 'consign'],
      ['consigning', 'consign'],
      ['consignment', 'consign'],
      ['paintings', 'paint'],
      ['knitting', 'knit'],
      ['knitted', 'knit'],
      ['skies', 'sky'],
      ['dying', 'die'],
      ['lying', 'lie'],
      ['hopefulness', 'hope'],
      ['generously', 'generous'],
      ['happiness', 'happi'],
      ['agreed', 'agre'],
      ['news', 'news'],
    ];
    expect(official.map(([word]) => [word, cachedStemWord(word)])).toEqual(official);
  });

  it('leaves numbers and words in other scripts as they are', () => {
    expect(cachedStemWord('2023')).toBe('2023');
    expect(cachedStemWord('東京')).toBe('東京');
  });
});
