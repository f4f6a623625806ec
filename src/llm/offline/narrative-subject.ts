import { dominantName } from '../../text/dominant-name.js';
import type { PromptMemory, PromptUser } from '../llm-provider.js';

/** "My name is Dana", "call me Dana", "I go by Dana", "I'm called Dana". */
const SELF_NAMING = /\b(?:[Mm]y (?:first |real |legal )?name is|[Cc]all me|I go by|I(?:'m|’m| am) called)\s+(?<name>\p{Lu}\p{Ll}+)\b/u;

/** What the narrative calls a user it knows no name of. */
export const UNNAMED_SUBJECT = 'the user';

/**
 * The name a narrative calls its user by, in this order: the first word of the display name; the
 * name the user gave themselves in their newest memory that says it ("my name is Dana"); the name
 * that opens a good share of the memories ("Caroline attended…"); else "the user". The external
 * id is never used: it is an account's identifier (an email, a number), not what a person is called.
 */
export function narrativeSubject(user: PromptUser, memories: readonly PromptMemory[]): string {
  const displayed = displayedFirstName(user);
  if (displayed) return displayed;
  const newestFirst = [...memories].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  for (const memory of newestFirst) {
    const given = SELF_NAMING.exec(memory.content)?.groups?.name;
    if (given) return given;
  }
  return dominantName(memories.map((memory) => memory.content)) ?? UNNAMED_SUBJECT;
}

/** The first word of the user's display name, if they have one. */
export function displayedFirstName(user: PromptUser): string | undefined {
  return user.displayName?.trim().split(/\s+/)[0] || undefined;
}

/** Whether a memory says nothing but the user's name ("My name is Dana."): the narrative says it by naming them. */
export function onlyGivesName(sentence: string): boolean {
  const match = SELF_NAMING.exec(sentence);
  return match !== null && sentence.replace(match[0], '').replace(/[\s.!?,;:'"’”]/g, '').replace(/^(?:Hi|Hello|Hey)/i, '').length === 0;
}
