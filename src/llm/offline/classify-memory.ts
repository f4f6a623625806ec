import type { SectionId } from './narrative-sections.js';
import { SECTION_LEXICONS } from './section-lexicons.js';

/** On a tie the more specific kind of statement wins: a plan about work is a plan. */
const PRIORITY: readonly (keyof typeof SECTION_LEXICONS)[] = ['goals', 'work', 'people', 'interests'];

/** The thematic section a sentence belongs to, from the general-English lexicons of each section. */
export function classifyMemory(sentence: string): SectionId {
  const lower = sentence.toLowerCase();
  const tokens = lower.match(/[a-z]+/g) ?? [];
  let best: SectionId = 'identity';
  let bestScore = 0;
  for (const section of PRIORITY) {
    const lexicon = SECTION_LEXICONS[section];
    const score = tokens.filter((token) => lexicon.words.has(token)).length + (lexicon.phrases.test(lower) ? 1 : 0);
    if (score > bestScore) {
      best = section;
      bestScore = score;
    }
  }
  return best;
}
