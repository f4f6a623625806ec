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

const DATE_PREFIX = /\bIn (?:January|February|March|April|May|June|July|August|September|October|November|December) \d{4}, /g;

/**
 * What is left of a narrative's body once the note line, the headings, the date prefixes and the
 * given memories' texts (modulo case and terminal punctuation) are taken out. Throws when one of the
 * memories is not in the text.
 */
export function bodyLeftAfterRemoving(text: string, memories: readonly PromptMemory[]): string {
  let body = text
    .split('\n')
    .slice(1)
    .filter((line) => !line.startsWith('## '))
    .join('\n')
    .replace(DATE_PREFIX, '')
    .toLowerCase();
  for (const memory of memories) {
    const sentence = memory.content.replace(/\s+/g, ' ').trim().replace(/[.!?]+$/, '').toLowerCase();
    if (!body.includes(sentence)) throw new Error(`memory ${memory.id} is not in the text: ${memory.content}`);
    body = body.replace(sentence, ' ');
  }
  return body;
}
