import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureReading } from '../../../scripts/eval/reading-measures.js';
import type { PromptMemory, PromptUser } from '../../../src/llm/llm-provider.js';
import { OfflineProvider } from '../../../src/llm/offline/offline-provider.js';

const NOW = new Date('2024-12-01T12:00:00Z');

function memory(id: string, content: string, createdAt: string): PromptMemory {
  return { id, content, createdAt: new Date(createdAt) };
}

async function narrate(memories: readonly PromptMemory[], user: PromptUser = { externalId: 'u-81f2', displayName: null }): Promise<string> {
  return (await new OfflineProvider().writeNarrative({ user, memories, now: NOW, signal: new AbortController().signal })).text;
}

/** Memories as an MCP client stores them, in the user's own voice. */
const clientMemories = [
  memory('name', 'My name is Dana.', '2024-03-01T09:00:00Z'),
  memory('sailing', 'I love sailing.', '2024-03-02T09:00:00Z'),
  memory('sister', 'My sister Ana moved to Lisbon last month.', '2024-04-10T09:00:00Z'),
  memory('peanuts', "I'm allergic to peanuts.", '2024-05-03T09:00:00Z'),
  memory('rex', 'We adopted a dog named Rex.', '2024-06-04T09:00:00Z'),
  memory('ocean', 'I watch documentaries about the ocean.', '2024-07-05T09:00:00Z'),
  memory('climbing', 'I go climbing every Sunday with my friend Leo.', '2024-08-06T09:00:00Z'),
  memory('quit', 'I quit my job at the clinic last week.', '2024-09-02T09:00:00Z'),
  memory('mom', 'My mom visited me over the weekend.', '2024-11-20T09:00:00Z'),
];

describe('a narrative of first-person memories', () => {
  it('tells them in the third person under the name the user gave, with verbs that agree', async () => {
    const text = await narrate(clientMemories);
    expect(text).toContain('Dana loves sailing.');
    expect(text).toContain("Dana's sister Ana moved to Lisbon in March 2024.");
    expect(text).toContain('Dana is allergic to peanuts.');
    expect(text).toContain('Dana watches documentaries about the ocean.');
    expect(text).toContain('Dana goes climbing every Sunday with their friend Leo.');
    expect(text).not.toContain('Dana’s name is Dana');
    expect(text.replace(/“[^”]*”/g, '')).not.toMatch(/\bI\b|\b[Mm]y\b/);
  });

  it('quotes as the user’s words what it cannot rewrite for certain, dated when it speaks of relative time', async () => {
    const text = await narrate(clientMemories);
    expect(text).toContain('Dana said: “We adopted a dog named Rex.”');
    expect(text).toContain('In September 2024, Dana said: “I quit my job at the clinic last week.”');
    expect(text).toContain("Dana's mom visited them over the weekend (said in November 2024).");
  });

  it('calls a user it knows no name of "the user", and one with a display name by its first word', async () => {
    const unnamed = clientMemories.filter((candidate) => candidate.id !== 'name');
    expect(await narrate(unnamed)).toContain('The user loves sailing.');
    expect(await narrate(unnamed, { externalId: 'u-81f2', displayName: 'Dana Reis' })).toContain('Dana loves sailing.');
  });

  it('leaves out a memory too short to stand as a sentence', async () => {
    const { text, memoryIds } = await new OfflineProvider().writeNarrative({
      user: { externalId: 'u-81f2', displayName: null },
      memories: [...clientMemories, memory('short', 'Vegan.', '2024-05-04T09:00:00Z')],
      now: NOW,
      signal: new AbortController().signal,
    });
    expect(memoryIds).not.toContain('short');
    expect(text).not.toContain('Vegan');
  });

  it('has nothing a reader would trip on: every sentence supported by a memory, no violation of readability', async () => {
    const text = await narrate(clientMemories);
    expect(measureReading(text, clientMemories.map((candidate) => candidate.content))).toMatchObject({ unsupported: [], violations: [] });
  });

  it('has nothing a reader would trip on for the first-person users of data/first-person', async () => {
    const lines = readFileSync(join(import.meta.dirname, '../../../data/first-person/memories.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { user: string; content: string; created_at: string });
    for (const user of new Set(lines.map((line) => line.user))) {
      const memories = lines.filter((line) => line.user === user).map((line, i) => memory(String(i), line.content, line.created_at));
      const text = await narrate(memories);
      expect(measureReading(text, memories.map((candidate) => candidate.content))).toMatchObject({ sentences: expect.any(Number), unsupported: [], violations: [] });
    }
  });
});
