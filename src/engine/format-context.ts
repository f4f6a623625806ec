import type { ContextMemory } from './smart-context.js';

export interface ContextParts {
  heading: string;
  body: string | null;
  note: string | null;
  memories: readonly ContextMemory[];
  memoriesHeading: string;
}

/** The plain-text context a model reads: the narrative or analysis, then the attached memories. */
export function formatContext(parts: ContextParts): string {
  const sections = [`# ${parts.heading}`];
  if (parts.note) sections.push(`_${parts.note}_`);
  if (parts.body) sections.push(parts.body);
  if (parts.memories.length > 0) {
    sections.push(
      `## ${parts.memoriesHeading}\n` +
        parts.memories.map((memory) => `- [${memory.created_at.slice(0, 10)}] ${memory.content}`).join('\n'),
    );
  }
  return sections.join('\n\n');
}
