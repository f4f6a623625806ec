import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/system-clock.js';
import type { AnalysisRequest, LlmOutput, LlmProvider, NarrativeRequest, RevisionRequest, TokenUsage } from './llm-provider.js';
import { openAiErrorToLlmError } from './openai-error-to-llm-error.js';
import { openAiResponseText } from './openai-response-text.js';
import { remoteTask, type RemotePurpose, type RemoteTask } from './remote-task.js';

/** A capable model for narratives and a small fast one for analyses. */
export const OPENAI_DEFAULT_MODELS = { narrative: 'gpt-5.4', analysis: 'gpt-5.4-mini' } as const;

const OPENAI_HOST = 'api.openai.com';

/** About 15k tokens of memories: OpenAI's models take 128k and more. */
const OPENAI_MEMORY_BUDGET_CHARS = 60_000;
/**
 * A server of one's own usually runs a small model with a small context (Ollama's default is
 * 4k–8k tokens, and it silently drops what does not fit): about 2–3k tokens of memories leave
 * room for the instructions and the answer in 8k.
 */
const SELF_HOSTED_MEMORY_BUDGET_CHARS = 8_000;

/** Longer than the longest LLM_TIMEOUT_MS (10 minutes): our timeout always fires first. */
const SDK_TIMEOUT_MS = 15 * 60_000;

export interface OpenAiProviderOptions {
  /** Unset for a server that needs none (Ollama, LM Studio, llama.cpp): no Authorization header is sent. */
  apiKey?: string;
  /** Unset: OpenAI's own API. */
  baseUrl?: string;
  narrativeModel: string;
  analysisModel: string;
  /** Unset: 60,000 characters at OpenAI, 8,000 at any other server. */
  memoryBudgetChars?: number;
  clock?: Clock;
  /** Where requests go out: `fetch` unless a test reroutes them. */
  fetch?: typeof fetch;
}

type Sampling = Pick<ChatCompletionCreateParamsNonStreaming, 'temperature' | 'max_tokens' | 'max_completion_tokens'>;

/**
 * OpenAI's current models reason before they answer: they accept only their default temperature,
 * spend part of `max_completion_tokens` thinking, and refuse the older `max_tokens`. The servers
 * that copy the protocol run models that take a temperature, all know `max_tokens` (Ollama not yet
 * the newer name), and may check prompt + limit against a small context, so the limit stays modest.
 */
const SAMPLING: Record<'openai' | 'compatible', Record<RemotePurpose, Sampling>> = {
  openai: { narrative: { max_completion_tokens: 16_384 }, analysis: { max_completion_tokens: 8_192 } },
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated by OpenAI only; the servers that copy its protocol need it.
  compatible: { narrative: { temperature: 0.4, max_tokens: 4_096 }, analysis: { temperature: 0.2, max_tokens: 2_048 } },
};

/**
 * Narratives and analyses through `POST {base}/chat/completions` with the official `openai` SDK,
 * so one provider serves OpenAI and every server that speaks its protocol (Ollama, vLLM,
 * LM Studio, llama.cpp, OpenRouter, Groq, Gemini's OpenAI endpoint). One call is one HTTP
 * request: the SDK's retries are off and its timeout is longer than ours, because
 * `callWithRetries` owns both.
 */
export class OpenAiProvider implements LlmProvider {
  readonly name = 'openai';
  readonly rateLimited = true;
  readonly memoryBudgetChars: number;
  readonly #client: OpenAI;
  readonly #who: string;
  readonly #hasKey: boolean;
  readonly #atOpenAi: boolean;
  readonly #narrativeModel: string;
  readonly #analysisModel: string;
  readonly #clock: Clock;

  constructor(options: OpenAiProviderOptions) {
    this.#hasKey = options.apiKey !== undefined;
    this.#atOpenAi = options.baseUrl === undefined || new URL(options.baseUrl).hostname === OPENAI_HOST;
    this.#client = new OpenAI({
      // The SDK insists on a key; without one, the placeholder is never sent because the header is removed.
      apiKey: options.apiKey ?? 'no-key',
      ...(this.#hasKey ? {} : { defaultHeaders: { Authorization: null } }),
      // Explicit, so OPENAI_BASE_URL, OPENAI_ORG_ID or OPENAI_PROJECT_ID cannot reach the SDK past our configuration.
      baseURL: options.baseUrl ?? `https://${OPENAI_HOST}/v1`,
      organization: null,
      project: null,
      maxRetries: 0,
      timeout: SDK_TIMEOUT_MS,
      // OPENAI_LOG=info would print to stdout, which the stdio transport owns.
      logLevel: 'off',
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.#who = this.#atOpenAi ? 'OpenAI' : `the OpenAI-compatible server at ${options.baseUrl}`;
    this.#narrativeModel = options.narrativeModel;
    this.#analysisModel = options.analysisModel;
    this.memoryBudgetChars =
      options.memoryBudgetChars ?? (this.#atOpenAi ? OPENAI_MEMORY_BUDGET_CHARS : SELF_HOSTED_MEMORY_BUDGET_CHARS);
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
      const completion = await this.#client.chat.completions.create(
        {
          model,
          messages: [
            { role: 'system', content: instruction },
            { role: 'user', content: prompt },
          ],
          ...SAMPLING[this.#atOpenAi ? 'openai' : 'compatible'][purpose],
        },
        { signal },
      );
      return {
        text: openAiResponseText(completion, this.#who),
        model: typeof completion.model === 'string' && completion.model !== '' ? completion.model : model,
        memoryIds: memories.map((memory) => memory.id),
        ...usageOf(completion),
      };
    } catch (error) {
      throw openAiErrorToLlmError(error, {
        signal,
        who: this.#who,
        now: this.#clock.now(),
        memoryBudgetChars: this.memoryBudgetChars,
        hasKey: this.#hasKey,
      });
    }
  }
}

/** Reasoning tokens are already part of `completion_tokens`. */
function usageOf(completion: ChatCompletion): { usage?: TokenUsage } {
  const usage = completion.usage;
  if (typeof usage?.prompt_tokens !== 'number' || typeof usage.completion_tokens !== 'number') return {};
  return { usage: { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens } };
}
