import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { checkedAnswerText } from './answer-text.js';
import { LlmError } from './llm-error.js';

/** Stop reasons that mean the output ran out of room before the model finished. */
const CUT_OFF_STOP_REASONS: ReadonlySet<string> = new Set(['max_tokens', 'model_context_window_exceeded']);

/**
 * The text of a message, trimmed and checked: a refusal is `blocked`, no text block is `empty`,
 * and an answer cut off at the token limit is never stored. Thinking blocks are not the answer.
 */
export function anthropicResponseText(message: Message): string {
  const stopReason = message.stop_reason ?? 'end_turn';
  if (stopReason === 'refusal') throw new LlmError('blocked', 'Anthropic refused to answer (stop_reason refusal)');
  const blocks = Array.isArray(message.content) ? message.content : [];
  const text = blocks.flatMap((block) => (block.type === 'text' && typeof block.text === 'string' ? [block.text] : [])).join('');
  return checkedAnswerText('Anthropic', text, CUT_OFF_STOP_REASONS.has(stopReason));
}
