import { expect } from 'vitest';
import { LlmError } from '../../src/llm/llm-error.js';
import type { AnalysisRequest, NarrativeRequest, PromptMemory } from '../../src/llm/llm-provider.js';
import { prompts } from '../../src/llm/prompts.js';

/** The moment every request is made at. */
export const NOW = new Date('2026-03-01T12:00:00Z');

/** Memories `memory-1`, `memory-2`… written on 1, 2… February 2026. */
export function memories(...contents: string[]): PromptMemory[] {
  return contents.map((content, index) => ({
    id: `memory-${index + 1}`,
    content,
    createdAt: new Date(Date.UTC(2026, 1, index + 1)),
  }));
}

/** A narrative of Ana, from these memories. */
export function narrativeRequest(contents: string[] = ['Ana paints watercolours.'], signal = new AbortController().signal): NarrativeRequest {
  return { user: { externalId: 'ana', displayName: 'Ana' }, memories: memories(...contents), now: NOW, signal };
}

export function analysisRequest(message: string, contents: string[]): AnalysisRequest {
  return { ...narrativeRequest(contents), message };
}

/** The `LlmError` a call fails with; the test fails if it succeeds or throws anything else. */
export async function failureOf(call: Promise<unknown>): Promise<LlmError> {
  const error = await call.then(
    () => expect.fail('the call succeeded'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LlmError);
  return error as LlmError;
}

/** The lines of a prompt strictly between the memory fence's opening and closing lines. */
export function fencedLines(prompt: string): string[] {
  const lines = prompt.split('\n');
  const begin = lines.indexOf(prompts.memoriesBegin);
  const end = lines.indexOf(prompts.memoriesEnd);
  expect(begin).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(begin);
  return lines.slice(begin + 1, end);
}

export function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}
