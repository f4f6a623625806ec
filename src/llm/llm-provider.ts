/** A memory as a provider sees it: data about the user, never instructions. */
export interface PromptMemory {
  id: string;
  content: string;
  createdAt: Date;
}

export interface PromptUser {
  externalId: string;
  displayName: string | null;
}

export interface NarrativeRequest {
  user: PromptUser;
  /** Chosen by the engine: most recent and most significant first, within the provider's budget. */
  memories: readonly PromptMemory[];
  now: Date;
  signal: AbortSignal;
}

/** A narrative to revise with what the user shared since it was written. */
export interface RevisionRequest {
  user: PromptUser;
  /** The narrative as it stands: text to revise, never instructions. */
  narrative: string;
  /** The memories added since the narrative was written, oldest first. */
  addedMemories: readonly PromptMemory[];
  /** Older memories most related to the added ones, oldest first: context for where the news fits. */
  relatedMemories: readonly PromptMemory[];
  now: Date;
  signal: AbortSignal;
}

export interface AnalysisRequest {
  user: PromptUser;
  /** The user's first message of the conversation. */
  message: string;
  memories: readonly PromptMemory[];
  now: Date;
  signal: AbortSignal;
}

export interface LlmOutput {
  text: string;
  /** The model that produced the text, e.g. `gemini-2.5-pro` or `offline-extractive-1`. */
  model: string;
  /** The memories the text was built from (all of the request's, unless the provider used fewer). */
  memoryIds: readonly string[];
  /** Tokens the remote model counted for this call, when it reported them (thinking counts as output). */
  usage?: TokenUsage;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** Writes narratives and on-demand analyses. Implementations throw `LlmError` on failure. */
export interface LlmProvider {
  /** `gemini`, `openai`, `anthropic` or `offline`. */
  readonly name: string;
  /** How many characters of memories one request may carry (the engine selects within it). */
  readonly memoryBudgetChars: number;
  /**
   * Whether calls count against `LLM_CALLS_PER_MINUTE`: true for a remote model whose quota the
   * limit protects; a provider that runs in this process has no quota to protect.
   */
  readonly rateLimited: boolean;
  writeNarrative(request: NarrativeRequest): Promise<LlmOutput>;
  /**
   * Revises a narrative with the memories added since it was written, for a fraction of the tokens
   * of a full build; its output's `memoryIds` are the added and related memories. A provider without
   * it (the offline one, extractive and cheap) always builds in full.
   */
  reviseNarrative?(request: RevisionRequest): Promise<LlmOutput>;
  analyze(request: AnalysisRequest): Promise<LlmOutput>;
}
