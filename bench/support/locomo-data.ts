import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MemoryInput } from '../../src/memories/memory-input.js';
import { LOCOMO_DIR, LOCOMO_MEMORIES } from '../../test/support/locomo.js';

export interface LocomoData {
  /** External ids, sorted. */
  users: string[];
  memoriesOf(user: string): MemoryInput[];
  /** The LoCoMo questions about the user: realistic first messages of a conversation. */
  questionsOf(user: string): string[];
}

export async function loadLocomo(): Promise<LocomoData> {
  const memories = new Map<string, MemoryInput[]>();
  for (const line of await jsonLines(LOCOMO_MEMORIES)) {
    const { user, content, created_at } = line as { user: string; content: string; created_at: string };
    memories.set(user, [...(memories.get(user) ?? []), { content, created_at: new Date(created_at) }]);
  }
  const questions = new Map<string, string[]>();
  for (const line of await jsonLines(join(LOCOMO_DIR, 'questions.jsonl'))) {
    const { user, question } = line as { user: string; question: string };
    questions.set(user, [...(questions.get(user) ?? []), question]);
  }
  return {
    users: [...memories.keys()].sort(),
    memoriesOf: (user) => memories.get(user) ?? [],
    questionsOf: (user) => questions.get(user) ?? ['What should I do this weekend?'],
  };
}

async function jsonLines(path: string): Promise<unknown[]> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new Error(`bench: cannot read the LoCoMo data at ${path} (the repository carries it in data/locomo/): ${String(error)}`);
  });
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}
