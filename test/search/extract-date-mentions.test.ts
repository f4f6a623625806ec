import { describe, expect, it } from 'vitest';

import { extractDateMentions } from '../../src/search/extract-date-mentions.js';

describe('dates named in a query', () => {
  it.each([
    ['What did she do on 16 June, 2023?', { year: 2023, month: 5, day: 16 }],
    ['on the 3rd of March 2022', { year: 2022, month: 2, day: 3 }],
    ['What happened on May 7, 2023?', { year: 2023, month: 4, day: 7 }],
    ['in January 2022', { year: 2022, month: 0, day: null }],
    ['Sept. 2021', { year: 2021, month: 8, day: null }],
    ['What did he do in May?', { year: null, month: 4, day: null }],
    ['during August', { year: null, month: 7, day: null }],
    ['the October trip', { year: null, month: 9, day: null }],
    ['back in 2019', { year: 2019, month: null, day: null }],
  ])('reads %j', (query, mention) => {
    expect(extractDateMentions(query).mentions).toEqual([mention]);
  });

  it('takes the date out of the words to search', () => {
    expect(extractDateMentions('What exciting news did Maria share on 16 June, 2023?').text.replace(/\s+/g, ' ')).toBe(
      'What exciting news did Maria share on ?',
    );
  });

  it.each(['She may come.', 'They march for rights.', 'Jan and Dec are friends.', 'He ran 45 miles.', 'Room 12'])(
    'sees no date in %j',
    (query) => {
      expect(extractDateMentions(query)).toEqual({ text: query, mentions: [] });
    },
  );
});
