import type { ChatCompletion } from 'openai/resources/chat/completions';
import { checkedAnswerText } from './answer-text.js';
import { LlmError } from './llm-error.js';

/** A local reasoning model (DeepSeek-R1, Qwen3 on Ollama or llama.cpp) may put its thinking first. */
const LEADING_THINKING = /^\s*<think>[\s\S]*?<\/think>/;

/**
 * The text of a chat completion, trimmed and checked: a refusal or a filtered answer is `blocked`,
 * no choice or no text is `empty`, and an answer cut off at the token limit (`finish_reason`
 * `length`) is never stored. Servers that only resemble OpenAI may leave fields out, so nothing
 * here trusts the declared types.
 */
export function openAiResponseText(completion: ChatCompletion, who: string): string {
  const choice = (completion.choices as ChatCompletion['choices'] | undefined)?.[0];
  if (!choice) throw new LlmError('empty', `${who} answered without any choice`);
  const message = choice.message as ChatCompletion.Choice['message'] | undefined;
  if (message?.refusal) throw new LlmError('blocked', `${who} refused: ${message.refusal}`);
  if (choice.finish_reason === 'content_filter') throw new LlmError('blocked', `${who} stopped its answer (content_filter)`);
  const content = typeof message?.content === 'string' ? message.content.replace(LEADING_THINKING, '') : undefined;
  return checkedAnswerText(who, content, choice.finish_reason === 'length');
}
