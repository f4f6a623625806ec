import type { GeminiProvider } from '../../src/llm/gemini-provider.js';
import type { AnalysisRequest, LlmOutput, LlmProvider, NarrativeRequest } from '../../src/llm/llm-provider.js';
import type { FakeGemini, FakeGeminiOutcome } from './fake-gemini-server.js';

type Purpose = 'narrative' | 'analysis';

/**
 * The real Gemini provider talking to the fake, with answers scripted per user and purpose: each
 * call takes the next scripted outcome (then the fake's default). It knows which calls are in
 * flight and which of those the fake holds forever, so a test can move the clock exactly when
 * nothing but the clock can make progress.
 */
export class ScriptedGemini implements LlmProvider {
  readonly name: string;
  readonly memoryBudgetChars: number;
  readonly rateLimited = true;
  readonly #scripts = new Map<string, FakeGeminiOutcome[]>();
  readonly #inFlight = new Set<{ hung: boolean; signal: AbortSignal }>();

  constructor(
    private readonly inner: GeminiProvider,
    private readonly fake: FakeGemini,
    private readonly models: Record<Purpose, string>,
    /** Which user a request is for, as it appears in the prompt (e.g. a name inside every memory). */
    private readonly userOf: (request: NarrativeRequest | AnalysisRequest) => string | undefined,
  ) {
    this.name = inner.name;
    this.memoryBudgetChars = inner.memoryBudgetChars;
  }

  script(purpose: Purpose, user: string, outcomes: readonly FakeGeminiOutcome[]): void {
    this.#scripts.set(`${purpose}:${user}`, [...outcomes]);
  }

  /** True when every call in flight is one the fake will never answer and that nobody has cancelled yet. */
  get onlyWaitingForTheClock(): boolean {
    return [...this.#inFlight].every((call) => call.hung && !call.signal.aborted);
  }

  writeNarrative(request: NarrativeRequest): Promise<LlmOutput> {
    return this.#call('narrative', request, () => this.inner.writeNarrative(request));
  }

  analyze(request: AnalysisRequest): Promise<LlmOutput> {
    return this.#call('analysis', request, () => this.inner.analyze(request));
  }

  async #call(purpose: Purpose, request: NarrativeRequest | AnalysisRequest, call: () => Promise<LlmOutput>): Promise<LlmOutput> {
    const user = this.userOf(request);
    const outcome = user === undefined ? undefined : this.#scripts.get(`${purpose}:${user}`)?.shift();
    let used = false;
    const model = this.models[purpose];
    const remove = outcome
      ? this.fake.failWhen((seen) => seen.model === model && user !== undefined && seen.prompt.includes(user) && !used && (used = true), outcome)
      : undefined;
    // Hung only once the fake holds the request: until it arrives, the call is still making progress
    // without the clock, and moving the clock then would time it out before the fake ever saw it.
    const entry = {
      get hung() {
        return outcome?.kind === 'hang' && used;
      },
      signal: request.signal,
    };
    this.#inFlight.add(entry);
    try {
      return await call();
    } finally {
      this.#inFlight.delete(entry);
      remove?.();
    }
  }
}
