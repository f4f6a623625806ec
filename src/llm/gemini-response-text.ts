import { FinishReason, type GenerateContentResponse } from '@google/genai';
import { LlmError } from './llm-error.js';

/** Finish reasons that mean the model refused or was stopped by a filter. */
const BLOCKING_FINISH_REASONS: ReadonlySet<FinishReason> = new Set([
  FinishReason.SAFETY,
  FinishReason.RECITATION,
  FinishReason.PROHIBITED_CONTENT,
  FinishReason.BLOCKLIST,
  FinishReason.SPII,
  FinishReason.IMAGE_SAFETY,
  FinishReason.IMAGE_PROHIBITED_CONTENT,
]);

/** Longer than any narrative or analysis we ask for, by far: something went wrong. */
const MAX_OUTPUT_CHARS = 20_000;

/**
 * The text of a Gemini answer, trimmed and checked: a blocked prompt or answer, an answer without
 * text, a cut-off answer or an absurdly long one is an error, never something to store.
 */
export function geminiResponseText(response: GenerateContentResponse): string {
  const blockReason = response.promptFeedback?.blockReason;
  if (blockReason) throw new LlmError('blocked', `Gemini refused the prompt (${blockReason})`);
  const candidate = response.candidates?.[0];
  if (!candidate) throw new LlmError('empty', 'Gemini answered without any candidate');
  const finishReason = candidate.finishReason ?? FinishReason.STOP;
  if (BLOCKING_FINISH_REASONS.has(finishReason)) {
    throw new LlmError('blocked', `Gemini stopped its answer (${finishReason})`);
  }

  const textParts = (candidate.content?.parts ?? []).filter((part) => typeof part.text === 'string' && !part.thought);
  if (textParts.length === 0) {
    const why = finishReason === FinishReason.MAX_TOKENS ? ': the output token limit was used up before any text' : '';
    throw new LlmError('empty', `Gemini answered without text (${finishReason})${why}`);
  }
  const text = textParts.map((part) => part.text).join('').trim();
  if (text === '') throw new LlmError('invalid_output', 'Gemini answered with nothing but white space');
  if (finishReason === FinishReason.MAX_TOKENS) {
    throw new LlmError('invalid_output', 'Gemini stopped at the output token limit, so the text is cut off');
  }
  if (text.length > MAX_OUTPUT_CHARS) {
    throw new LlmError('invalid_output', `Gemini answered with ${text.length} characters, more than the ${MAX_OUTPUT_CHARS} allowed`);
  }
  return text;
}
