import { CONVERSATION_GAP_MS } from '../../memories/conversation-gap.js';
import { contentTerms } from '../../text/content-terms.js';
import type { PromptMemory } from '../llm-provider.js';
import { formatMonth, resolveRelativeTime } from './dated-sentence.js';
import { classifyMemory, type SectionId } from './narrative-sections.js';
import { onlyGivesName, UNNAMED_SUBJECT } from './narrative-subject.js';
import { inThirdPerson, quotedAsSaid } from './third-person.js';

/** A memory made ready for extractive selection: its sentence, what it is about and where it belongs. */
export interface PreparedMemory {
  readonly id: string;
  /** Position in time order (ties broken by id): the last tie-breaker of every choice. */
  readonly index: number;
  /**
   * The memory as one sentence in the narrative's third person ("I love sailing" → "Dana loves
   * sailing"), or quoted as the user's words where that rewrite would not be certain.
   */
  readonly sentence: string;
  readonly createdAt: Date;
  /** Distinct stemmed content words of the sentence. */
  readonly terms: ReadonlySet<string>;
  readonly words: number;
  /** The thematic section the memory's wording points to. */
  readonly section: SectionId;
  /** Whether the sentence speaks of time relative to when it was said ("last week", "recently"). */
  readonly relativeTime: boolean;
  /**
   * The sentence as the narrative writes it: its relative time resolved or attributed to when it was
   * said (see `resolveRelativeTime`), so that it says its own date; otherwise the sentence itself.
   */
  readonly narrativeSentence: string;
  readonly narrativeWords: number;
  /** Reports something that happened, or only a remark (see `statementKind`). */
  readonly kind: 'event' | 'remark' | 'other';
  /** The first memory after a pause: what a person mentions first when they come back is often their news. */
  readonly opensConversation: boolean;
  /** A sentence of it would read as a fragment (under four words, but for the subject and two words). */
  readonly fragment: boolean;
}

/**
 * Turns the request's memories into sentences about `subject` (the user's name, or "the user": see
 * `narrativeSubject`) ready for selection, oldest first; blank memories, and those that only give
 * the user's name, are left out. Ordered by time, then id, then text, so the output never depends
 * on the request's order.
 */
export function prepareMemories(memories: readonly PromptMemory[], subject: string = UNNAMED_SUBJECT): PreparedMemory[] {
  const usable = memories
    .map((memory) => {
      const written = asSentence(memory.content);
      return { memory, ...voiced(onlyGivesName(written) ? '' : written, subject) };
    })
    .filter(({ sentence }) => sentence.length > 0)
    .sort(
      (a, b) =>
        a.memory.createdAt.getTime() - b.memory.createdAt.getTime() ||
        compareText(a.memory.id, b.memory.id) ||
        compareText(a.sentence, b.sentence),
    );
  return usable.map(({ memory, sentence, said }, index) => {
    const previous = usable[index - 1]?.memory.createdAt.getTime();
    // The user's own words are quoted as said, so a time in them is dated by when they said it.
    const resolved =
      said === undefined
        ? resolveRelativeTime(sentence, memory.createdAt)
        : resolveRelativeTime(said, memory.createdAt) && `In ${formatMonth(memory.createdAt)}, ${sentence}`;
    const narrativeSentence = resolved ?? sentence;
    return {
      id: memory.id,
      index,
      sentence,
      createdAt: memory.createdAt,
      terms: contentTerms(sentence),
      words: countWords(sentence),
      section: classifyMemory(sentence),
      relativeTime: resolved !== undefined,
      narrativeSentence,
      narrativeWords: countWords(narrativeSentence),
      kind: statementKind(sentence),
      opensConversation: previous === undefined || memory.createdAt.getTime() - previous >= CONVERSATION_GAP_MS,
      fragment: readsAsFragment(narrativeSentence, subject),
    };
  });
}

/**
 * The sentence in the narrative's third person, or quoted as what the user said (`said`: their
 * words as they said them) where the rewrite would not be certain.
 */
function voiced(sentence: string, subject: string): { sentence: string; said?: string } {
  if (sentence.length === 0) return { sentence };
  const rewritten = inThirdPerson(sentence, subject);
  return rewritten === undefined ? { sentence: quotedAsSaid(sentence, subject), said: sentence } : { sentence: rewritten };
}

/** Whether a sentence of the text has fewer than four words, but for three opening with the subject ("Dana loves sailing."). */
function readsAsFragment(text: string, subject: string): boolean {
  return text.split(/(?<=[.!?…]["'”’)\]]*)\s+(?=["“‘(]?[A-Z0-9])/).some((piece) => {
    const words = piece.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word));
    return words.length < 3 || (words.length === 3 && !piece.toLowerCase().startsWith(subject.toLowerCase()));
  });
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A memory's text as one sentence of prose: whitespace collapsed to single spaces (so a memory can
 * never start a heading or a list of its own), leading Markdown markers removed, first letter upper
 * case, and a full stop added when the text has no terminal punctuation.
 */
export function asSentence(text: string): string {
  const flat = text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(?:[#>*+\-=_`|]+\s*|\d+[.)]\s+)+/, '')
    .trim();
  if (flat.length === 0) return '';
  const capitalised = flat.charAt(0).toUpperCase() + flat.slice(1);
  return /[.!?…]["'”’)\]]*$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/** Words as a reader (and a budget) counts them: runs of non-space characters. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter((word) => word.length > 0).length;
}

const EVENT_VERBS = new Set(
  `attended joined started began begun went visited took got received moved bought adopted won
  finished completed signed launched opened created made built painted wrote published graduated
  hired lost quit traveled travelled met organized organised hosted participated volunteered
  applied passed failed returned celebrated competed performed gave presented enrolled registered
  learned learnt tried decided found sold married injured recovered ran raised donated accepted
  drove flew climbed explored cooked baked played watched read saw taught helped fixed renovated
  designed recorded released broke crashed fell rescued planted harvested hiked camped surfed swam
  skied stopped switched upgraded earned scored qualified booked arranged announced introduced
  invited reunited spent`.split(/\s+/),
);

const REMARK_VERBS = new Set(
  `values value believes believe appreciates appreciate feels feel finds thinks think expresses
  expressed emphasizes emphasises emphasized admires admire considers reflects reflected prefers
  understands understand agrees wonders hopes wishes encourages encouraged advised advises
  suggests suggested recommends recommended acknowledges shares shared mentioned mentions describes
  described asks asked comments commented tells says said replies replied responds responded
  notes noted talks talked chats chatted`.split(/\s+/),
);

/**
 * Whether a sentence reports something that happened ("attended", "started", "recently") or only a
 * remark, opinion or piece of small talk ("values", "believes", "asks"): what happened in a life carries
 * more of a person's story than what was said about it.
 */
function statementKind(sentence: string): 'event' | 'remark' | 'other' {
  const tokens: string[] = sentence.toLowerCase().match(/[a-z]+/g) ?? [];
  if (tokens.some((token) => EVENT_VERBS.has(token)) || tokens.includes('recently')) return 'event';
  if (tokens.some((token) => REMARK_VERBS.has(token))) return 'remark';
  return 'other';
}
