import type { AnalysisRequest, NarrativeRequest, PromptMemory, RevisionRequest } from './llm-provider.js';
import { prompts } from './prompts.js';

/** What a remote model is asked for: a narrative (written or revised) or an analysis. */
export type RemotePurpose = 'narrative' | 'analysis';

/** One call to a remote model, the same for every provider: only how it is sent differs. */
export interface RemoteTask {
  purpose: RemotePurpose;
  instruction: string;
  prompt: string;
  /** The memories the prompt carries: what the answer is built from. */
  memories: readonly PromptMemory[];
  signal: AbortSignal;
}

/** The task of each provider method, built once from the shared fenced prompts. */
export const remoteTask = {
  narrative: (request: NarrativeRequest): RemoteTask => ({
    purpose: 'narrative',
    instruction: prompts.narrativeInstruction,
    prompt: prompts.narrative(request),
    memories: request.memories,
    signal: request.signal,
  }),
  revision: (request: RevisionRequest): RemoteTask => ({
    purpose: 'narrative',
    instruction: prompts.revisionInstruction,
    prompt: prompts.revision(request),
    memories: [...request.addedMemories, ...request.relatedMemories],
    signal: request.signal,
  }),
  analysis: (request: AnalysisRequest): RemoteTask => ({
    purpose: 'analysis',
    instruction: prompts.analysisInstruction,
    prompt: prompts.analysis(request),
    memories: request.memories,
    signal: request.signal,
  }),
};
