import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const memoryLine = z.object({
  user: z.string(),
  content: z.string(),
  created_at: z.string().optional(),
  metadata: z.object({ conversation: z.string().optional(), evidence: z.array(z.string()).default([]) }).loose().default({ evidence: [] }),
});
const questionLine = z.object({
  user: z.string(),
  question: z.string(),
  answer: z.unknown().optional(),
  category: z.number().int(),
  evidence: z.array(z.string()),
});
const eventLine = z.object({ user: z.string(), date: z.string().optional(), event: z.string() });

export type EvalMemoryLine = z.infer<typeof memoryLine>;
export type EvalQuestion = z.infer<typeof questionLine>;
export type EvalEvent = z.infer<typeof eventLine>;

/** The three files of an evaluation directory (the LoCoMo layout: memories, questions, events). */
export interface EvalDataset {
  readonly dir: string;
  readonly memoriesFile: string;
  readonly memories: readonly EvalMemoryLine[];
  readonly questions: readonly EvalQuestion[];
  readonly events: readonly EvalEvent[];
}

export async function readEvalDataset(dir: string): Promise<EvalDataset> {
  const memoriesFile = join(dir, 'memories.jsonl');
  const [memories, questions, events] = await Promise.all([
    readJsonLines(memoriesFile, memoryLine),
    readJsonLines(join(dir, 'questions.jsonl'), questionLine),
    readJsonLines(join(dir, 'events.jsonl'), eventLine),
  ]);
  return { dir, memoriesFile, memories, questions, events };
}

async function readJsonLines<T>(file: string, schema: z.ZodType<T>): Promise<T[]> {
  const text = await readFile(file, 'utf8');
  return text.split('\n').flatMap((line, index) => {
    if (line.trim() === '') return [];
    const parsed = schema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`${file}:${index + 1}: ${parsed.error.issues[0]?.message ?? 'not a valid line'}`);
    return [parsed.data];
  });
}
