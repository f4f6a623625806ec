import { LlmError } from '../../src/llm/llm-error.js';
import type { AnalysisRequest, LlmOutput, LlmProvider, NarrativeRequest } from '../../src/llm/llm-provider.js';

type Purpose = 'narrative' | 'analysis';

/**
 * An LLM whose latency and failures the test controls: while held, calls wait until released;
 * scripted failures answer the next calls. Narratives list the memories they were given.
 */
export class ControlledProvider implements LlmProvider {
  readonly name = 'controlled';
  readonly rateLimited = true;
  readonly memoryBudgetChars = 100_000;
  readonly calls: Record<Purpose, number> = { narrative: 0, analysis: 0 };
  /** When set, each answer reports tokens as a remote model would: a quarter of the characters in and out. */
  reportsUsage = false;
  readonly #failures: Record<Purpose, LlmError[]> = { narrative: [], analysis: [] };
  #held: Promise<void> | null = null;
  #release: (() => void) | null = null;
  #waiting = 0;

  /** Makes every call wait until `release()`; returns the release function. */
  hold(): () => void {
    if (!this.#held) this.#held = new Promise((resolve) => (this.#release = resolve));
    return () => this.release();
  }

  release(): void {
    this.#release?.();
    this.#held = null;
    this.#release = null;
  }

  /** How many calls are waiting on the hold. */
  get waiting(): number {
    return this.#waiting;
  }

  failNext(purpose: Purpose, ...errors: LlmError[]): void {
    this.#failures[purpose].push(...errors);
  }

  writeNarrative(request: NarrativeRequest): Promise<LlmOutput> {
    return this.#call('narrative', request.signal, () => ({
      text: `Narrative of ${request.user.externalId}:\n${request.memories.map((memory) => `- ${memory.content}`).join('\n')}`,
      model: 'controlled-narrative',
      memoryIds: request.memories.map((memory) => memory.id),
    }));
  }

  analyze(request: AnalysisRequest): Promise<LlmOutput> {
    return this.#call('analysis', request.signal, () => ({
      text: `Analysis for "${request.message}" from ${request.memories.length} memories.`,
      model: 'controlled-analysis',
      memoryIds: request.memories.map((memory) => memory.id),
    }));
  }

  async #call(purpose: Purpose, signal: AbortSignal, answerOf: () => LlmOutput): Promise<LlmOutput> {
    const answer = () => {
      const output = answerOf();
      if (!this.reportsUsage) return output;
      const input = JSON.stringify(output.memoryIds).length;
      return { ...output, usage: { inputTokens: Math.ceil(input / 4), outputTokens: Math.ceil(output.text.length / 4) } };
    };
    this.calls[purpose] += 1;
    const held = this.#held;
    if (held) {
      this.#waiting += 1;
      try {
        await Promise.race([
          held,
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(new LlmError('aborted', 'call aborted')), { once: true })),
        ]);
      } finally {
        this.#waiting -= 1;
      }
    }
    const failure = this.#failures[purpose].shift();
    if (failure) throw failure;
    return answer();
  }
}
