import Anthropic from '@anthropic-ai/sdk';
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/system-clock.js';
import { anthropicErrorToLlmError } from './anthropic-error-to-llm-error.js';
import { anthropicResponseText } from './anthropic-response-text.js';
import type { AnalysisRequest, LlmOutput, LlmProvider, NarrativeRequest, RevisionRequest, TokenUsage } from './llm-provider.js';
import { remoteTask, type RemotePurpose, type RemoteTask } from './remote-task.js';

/** A Sonnet for narratives and a Haiku, small and fast, for analyses. */
export const ANTHROPIC_DEFAULT_MODELS = { narrative: 'claude-sonnet-5-5', analysis: 'claude-haiku-5-5' } as const;

const ANTHROPIC_API_URL = 'https://api.anthropic.com';

/** About 15k tokens of memories: Claude's models take 200k. */
const ANTHROPIC_MEMORY_BUDGET_CHARS = 60_000;

/**
 * Longer than the longest LLM_TIMEOUT_MS (10 minutes): our timeout always fires first. Given
 * explicitly, it also spares us the SDK's refusal of long non-streaming calls.
 */
const SDK_TIMEOUT_MS = 15 * 60_000;

export interface AnthropicProviderOptions {
  apiKey: string;
  /** Unset: Anthropic's own API. */
  baseUrl?: string;
  narrativeModel: string;
  analysisModel: string;
  /** Unset: 60,000 characters. */
  memoryBudgetChars?: number;
  clock?: Clock;
}

const MAX_TOKENS: Record<RemotePurpose, number> = { narrative: 8_192, analysis: 4_096 };

/**
 * Narratives and analyses written by Claude through `POST {base}/v1/messages` with the official
 * `@anthropic-ai/sdk`. One call is one HTTP request: the SDK's retries are off and its timeout is
 * longer than ours, because `callWithRetries` owns both. The SDK takes no sampling temperature
 * (current models choose their own), so none is sent.
 */
export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic';
  readonly rateLimited = true;
  readonly memoryBudgetChars: number;
  readonly #client: Anthropic;
  readonly #who: string;
  readonly #narrativeModel: string;
  readonly #analysisModel: string;
  readonly #clock: Clock;

  constructor(options: AnthropicProviderOptions) {
    this.#client = new Anthropic({
      // Both explicit, so ANTHROPIC_BASE_URL or ANTHROPIC_AUTH_TOKEN cannot reach the SDK past our configuration.
      apiKey: options.apiKey,
      baseURL: options.baseUrl ?? ANTHROPIC_API_URL,
      maxRetries: 0,
      timeout: SDK_TIMEOUT_MS,
      // ANTHROPIC_LOG=info would print to stdout, which the stdio transport owns.
      logLevel: 'off',
    });
    this.#who = options.baseUrl === undefined ? 'Anthropic' : `Anthropic at ${options.baseUrl}`;
    this.#narrativeModel = options.narrativeModel;
    this.#analysisModel = options.analysisModel;
    this.memoryBudgetChars = options.memoryBudgetChars ?? ANTHROPIC_MEMORY_BUDGET_CHARS;
    this.#clock = options.clock ?? systemClock;
  }

  writeNarrative(request: NarrativeRequest): Promise<LlmOutput> {
    return this.#generate(remoteTask.narrative(request));
  }

  reviseNarrative(request: RevisionRequest): Promise<LlmOutput> {
    return this.#generate(remoteTask.revision(request));
  }

  analyze(request: AnalysisRequest): Promise<LlmOutput> {
    return this.#generate(remoteTask.analysis(request));
  }

  async #generate({ purpose, instruction, prompt, memories, signal }: RemoteTask): Promise<LlmOutput> {
    const model = purpose === 'narrative' ? this.#narrativeModel : this.#analysisModel;
    try {
      const message = await this.#client.messages.create(
        { model, system: instruction, messages: [{ role: 'user', content: prompt }], max_tokens: MAX_TOKENS[purpose] },
        { signal },
      );
      return {
        text: anthropicResponseText(message),
        model: typeof message.model === 'string' && message.model !== '' ? message.model : model,
        memoryIds: memories.map((memory) => memory.id),
        ...usageOf(message),
      };
    } catch (error) {
      throw anthropicErrorToLlmError(error, {
        signal,
        who: this.#who,
        now: this.#clock.now(),
        memoryBudgetChars: this.memoryBudgetChars,
      });
    }
  }
}

/** Cached input (none unless asked for) is input all the same. */
function usageOf(message: Message): { usage?: TokenUsage } {
  const usage = message.usage as Message['usage'] | undefined;
  if (typeof usage?.input_tokens !== 'number' || typeof usage.output_tokens !== 'number') return {};
  const inputTokens = usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
  return { usage: { inputTokens, outputTokens: usage.output_tokens } };
}
