import type { StaleReason } from './assess-narrative.js';

export type ContextSource = 'cache' | 'stale_cache' | 'deep_analysis' | 'memories_only';

export interface ContextMemory {
  id: string;
  content: string;
  created_at: string;
}

/** What `orchestrate_smart_context` answers: the text for the model and where it came from. */
export interface SmartContext {
  source: ContextSource;
  text: string;
  narrative: {
    version: number;
    generated_at: string;
    stale: boolean;
    stale_reasons: StaleReason[];
  } | null;
  /** Why the answer has no narrative or analysis, when it has none. */
  reason: string | null;
  memories: ContextMemory[];
  /** Whether a narrative job was requested by this call. */
  generation_scheduled: boolean;
  elapsed_ms: number;
}
