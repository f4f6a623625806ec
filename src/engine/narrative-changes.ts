import { diffWordsWithSpace } from 'diff';
import type { MemoryRow, NarrativeRow, PreviousNarrativeRow } from '../db/database-schema.js';
import type { MemoryChanges } from '../repositories/memory-repository.js';
import type { RepositorySet } from '../repositories/repository-set.js';

/** Memories of each kind of change shown by content; the rest only counted. */
export const CHANGED_MEMORIES_SHOWN = 10;

/** A memory added or corrected since the previous version, as shown to its user. */
export interface ChangedMemory {
  id: string;
  content: string;
  created_at: string;
  updated_at: string | null;
}

/** A run of words of the current text, of the previous one, or of both. */
export interface TextChange {
  change: 'same' | 'added' | 'removed';
  text: string;
}

/** What changed in the last regeneration, from the version it replaced to the current one. */
export interface NarrativeChanges {
  from_version: number;
  from_generated_at: string;
  to_version: number;
  memories: { added: number; updated: number; deleted: number; expired: number };
  /** The newest memories added and corrected since the previous version, at most `CHANGED_MEMORIES_SHOWN` of each. */
  added: ChangedMemory[];
  updated: ChangedMemory[];
  /**
   * The word-level difference between the previous text and the current one; null when the previous
   * text is no longer kept because a memory it was built from was deleted, corrected or expired.
   */
  text: TextChange[] | null;
}

/**
 * The changes from the previous version of the user's narrative to `current`, or null when there is
 * none. The previous text is left out from the moment a memory it stands on expires, before any
 * sweep has dropped it.
 */
export async function narrativeChanges(
  repositories: ChangeRepositories,
  userId: string,
  current: NarrativeRow,
  now: number,
): Promise<NarrativeChanges | null> {
  const previous = await repositories.narratives.getPrevious(userId);
  if (!previous?.previous_version || !previous.previous_generated_at || previous.previous_source_max_seq === null) return null;
  const memories = await repositories.memories.changesBetween(
    userId,
    {
      fromSeq: previous.previous_source_max_seq,
      toSeq: current.source_max_seq,
      from: previous.previous_generated_at,
      to: current.generated_at,
      now: new Date(now),
    },
    CHANGED_MEMORIES_SHOWN,
  );
  const expired = previous.previous_source_expires_at !== null && previous.previous_source_expires_at.getTime() <= now;
  return describeChanges(expired ? { ...previous, previous_content: null } : previous, current, memories);
}

type ChangeRepositories = Pick<RepositorySet, 'narratives' | 'memories'>;

function describeChanges(previous: PreviousNarrativeRow, current: NarrativeRow, memories: MemoryChanges): NarrativeChanges {
  return {
    from_version: previous.previous_version!,
    from_generated_at: previous.previous_generated_at!.toISOString(),
    to_version: current.version,
    memories: { added: memories.added, updated: memories.updated, deleted: memories.deleted, expired: memories.expired },
    added: memories.addedSample.map(changedMemory),
    updated: memories.updatedSample.map(changedMemory),
    text: previous.previous_content === null ? null : wordChanges(previous.previous_content, current.narrative_content),
  };
}

function changedMemory(memory: MemoryRow): ChangedMemory {
  return {
    id: memory.id,
    content: memory.content,
    created_at: memory.created_at.toISOString(),
    updated_at: memory.updated_at?.toISOString() ?? null,
  };
}

/** The two texts as runs of words kept, added and removed, in reading order. */
export function wordChanges(before: string, after: string): TextChange[] {
  return diffWordsWithSpace(before, after).map((part) => ({
    change: part.added ? 'added' : part.removed ? 'removed' : 'same',
    text: part.value,
  }));
}
