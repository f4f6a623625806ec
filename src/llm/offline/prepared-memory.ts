import type { SectionId } from './narrative-sections.js';

/** A memory made ready for extractive selection: its sentence, what it is about and where it belongs. */
export interface PreparedMemory {
  readonly id: string;
  /** Position in time order (ties broken by id): the last tie-breaker of every choice. */
  readonly index: number;
  readonly sentence: string;
  readonly createdAt: Date;
  /** Distinct stemmed content words of the sentence. */
  readonly terms: ReadonlySet<string>;
  readonly words: number;
  /** The thematic section the memory's wording points to. */
  readonly section: SectionId;
  /** Whether the sentence speaks of time relative to when it was said ("last week", "recently"). */
  readonly relativeTime: boolean;
  /** Reports something that happened, or only a remark (see `statementKind`). */
  readonly kind: 'event' | 'remark' | 'other';
  /** The first memory after a pause: what a person mentions first when they come back is often their news. */
  readonly opensConversation: boolean;
}
