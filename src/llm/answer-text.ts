import { LlmError } from './llm-error.js';

/** Longer than any narrative or analysis we ask for, by far: something went wrong. */
const MAX_OUTPUT_CHARS = 20_000;

/**
 * The text of an answer, trimmed and checked: no text at all is `empty` (worth another try), and
 * white space only, an answer cut off at the output token limit or an absurdly long one is
 * `invalid_output`, never something to store.
 */
export function checkedAnswerText(who: string, text: string | null | undefined, cutOff: boolean): string {
  if (!text) {
    const why = cutOff ? ': the output token limit was used up before any text' : '';
    throw new LlmError('empty', `${who} answered without text${why}`);
  }
  const trimmed = text.trim();
  if (trimmed === '') throw new LlmError('invalid_output', `${who} answered with nothing but white space`);
  if (cutOff) throw new LlmError('invalid_output', `${who} stopped at the output token limit, so the text is cut off`);
  if (trimmed.length > MAX_OUTPUT_CHARS) {
    throw new LlmError('invalid_output', `${who} answered with ${trimmed.length} characters, more than the ${MAX_OUTPUT_CHARS} allowed`);
  }
  return trimmed;
}
