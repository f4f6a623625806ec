import { GoogleGenAI, type GenerateContentResponse } from '@google/genai';
import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/system-clock.js';
import { geminiErrorToLlmError } from './gemini-error-to-llm-error.js';
import { geminiResponseText } from './gemini-response-text.js';
import type { AnalysisRequest, LlmOutput, LlmProvider, NarrativeRequest, RevisionRequest, TokenUsage } from './llm-provider.js';
import { remoteTask, type RemotePurpose, type RemoteTask } from './remote-task.js';

const GEMINI_API_URL = 'https://generativelanguage.googleapis.com';

const SAMPLING: Record<RemotePurpose, { temperature: number; maxOutputTokens: number }> = {
  // Thinking models spend part of this before the first word of a ~600-word narrative.
  narrative: { temperature: 0.4, maxOutputTokens: 16_384 },
  analysis: { temperature: 0.2, maxOutputTokens: 8_192 },
};

/**
 * Narratives and analyses written by Gemini through `@google/genai`. One call is one HTTP request:
 * the SDK's own retries stay off (they are off unless `retryOptions` is set, and we set one attempt
 * to be sure), because `callWithRetries` owns retries and timeouts.
 */
export class GeminiProvider implements LlmProvider {
  readonly name = 'gemini';
  readonly rateLimited = true;
  readonly memoryBudgetChars: number;
  readonly #ai: GoogleGenAI;
  readonly #narrativeModel: string;
  readonly #analysisModel: string;
  readonly #clock: Clock;

  constructor(options: {
    apiKey: string;
    baseUrl?: string;
    narrativeModel: string;
    analysisModel: string;
    /** Unset: about 15k tokens of memories, plenty for a portrait, quick enough for an on-demand analysis. */
    memoryBudgetChars?: number;
    clock?: Clock;
  }) {
    this.#ai = new GoogleGenAI({
      apiKey: options.apiKey,
      // Explicit, so GOOGLE_GENAI_USE_VERTEXAI or GOOGLE_GEMINI_BASE_URL in the environment cannot redirect us.
      vertexai: false,
      httpOptions: { baseUrl: options.baseUrl ?? GEMINI_API_URL, retryOptions: { attempts: 1 } },
    });
    this.#narrativeModel = options.narrativeModel;
    this.#analysisModel = options.analysisModel;
    this.memoryBudgetChars = options.memoryBudgetChars ?? 60_000;
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
    // The SDK's ApiError drops response headers, so this call's fetch keeps the one we need.
    let retryAfterHeader: string | null = null;
    const fetchKeepingRetryAfter = async (...[input, init]: Parameters<typeof fetch>): Promise<Response> => {
      const response = await fetch(input, init);
      retryAfterHeader = response.headers.get('retry-after');
      return response;
    };
    try {
      const response = await this.#ai.models.generateContent({
        model,
        contents: [{ role: 'user', parts: [{ text: prompt }] }],
        config: {
          systemInstruction: instruction,
          ...SAMPLING[purpose],
          abortSignal: signal,
          httpOptions: { fetch: fetchKeepingRetryAfter },
        },
      });
      return {
        text: geminiResponseText(response),
        model: response.modelVersion ?? model,
        memoryIds: memories.map((memory) => memory.id),
        ...usageOf(response),
      };
    } catch (error) {
      throw geminiErrorToLlmError(error, { signal, retryAfterHeader, now: this.#clock.now() });
    }
  }
}

/** Thinking is billed as output, so it counts with the candidates' tokens. */
function usageOf(response: GenerateContentResponse): { usage?: TokenUsage } {
  const metadata = response.usageMetadata;
  if (metadata?.promptTokenCount === undefined) return {};
  const outputTokens = (metadata.candidatesTokenCount ?? 0) + (metadata.thoughtsTokenCount ?? 0);
  return { usage: { inputTokens: metadata.promptTokenCount, outputTokens } };
}
