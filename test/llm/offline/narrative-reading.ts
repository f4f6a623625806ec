import type { PromptMemory } from '../../../src/llm/llm-provider.js';

/** The `## ` headings of a text, in order. */
export function headingsOf(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('## '))
    .map((line) => line.slice(3));
}

export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

const MONTH = '(?:january|february|march|april|may|june|july|august|september|october|november|december)';
const DATE_PREFIX = new RegExp(String.raw`\bin ${MONTH} \d{4}, `, 'g');
const SAID_IN = new RegExp(String.raw` \(said in ${MONTH} \d{4}\)`, 'g');
const WEEKDAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
/** A time relative to when it was said, or a date: either may stand where the other was said. */
const TIME = new RegExp(
  [
    String.raw`(?:(?:in|on) )?(?:the (?:week|weekend|night|morning|afternoon|evening|summer|spring|autumn|fall) of )?(?:\d{1,2} )?(?:${MONTH} )?\d{4}`,
    String.raw`(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d+) (?:day|week|month|year)s? ago`,
    String.raw`(?:yesterday|today|tomorrow)(?: (?:morning|afternoon|evening|night))?|tonight|this (?:morning|afternoon|evening)`,
    String.raw`(?:last|next|this) (?:${WEEKDAY}(?: (?:morning|afternoon|evening|night))?|night|week|weekend|month|year|summer|spring|autumn|fall)`,
  ]
    .map((alternative) => String.raw`\b${alternative}\b`)
    .join('|'),
  'g',
);

function withTimesAlike(text: string): string {
  return text.replace(TIME, '<time>');
}

/**
 * What is left of a narrative's body once the note line, the headings, the date prefixes and
 * attributions and the given memories' texts (modulo case, terminal punctuation and how a time is
 * said: "last year" or "in 2025") are taken out. Throws when one of the memories is not in the text.
 */
export function bodyLeftAfterRemoving(text: string, memories: readonly PromptMemory[]): string {
  let body = text
    .split('\n')
    .slice(1)
    .filter((line) => !line.startsWith('## '))
    .join('\n')
    .toLowerCase()
    .replace(DATE_PREFIX, '')
    .replace(SAID_IN, '');
  body = withTimesAlike(body);
  for (const memory of memories) {
    const sentence = withTimesAlike(memory.content.replace(/\s+/g, ' ').trim().replace(/[.!?]+$/, '').toLowerCase());
    if (!body.includes(sentence)) throw new Error(`memory ${memory.id} is not in the text: ${memory.content}`);
    body = body.replace(sentence, ' ');
  }
  return body;
}
