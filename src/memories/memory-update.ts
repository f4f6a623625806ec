import { z } from 'zod';
import { memoryContentSchema, memoryMetadataSchema } from './memory-input.js';

/** A checked correction of one memory: a new text, new metadata, or both. */
export interface MemoryUpdate {
  id: string;
  content?: string;
  metadata?: Record<string, unknown>;
}

/** A correction as a client sends it, before it is checked. */
export interface MemoryUpdateRequest {
  id: string;
  content?: unknown;
  metadata?: unknown;
}

/** Why one correction of a call can be refused. */
export const MEMORY_UPDATE_REFUSALS = [
  'invalid_id',
  'nothing_to_update',
  'invalid_content',
  'invalid_metadata',
  'repeated_id',
  'not_found',
  'deleted',
  'expired',
  'duplicate',
] as const;

export type MemoryUpdateRefusal = (typeof MEMORY_UPDATE_REFUSALS)[number];

/** One refused correction: its place in the call, its id, why, and what to fix. */
export interface MemoryUpdateError {
  index: number;
  id: string;
  reason: MemoryUpdateRefusal;
  message: string;
}

const memoryIdSchema = z.uuid();

/**
 * Checks what can be checked of one correction without the database: the id's form, that it
 * changes something, and its text and metadata by the rules every new memory follows.
 */
export function checkMemoryUpdate(
  request: MemoryUpdateRequest,
  maxChars: number,
): { update: MemoryUpdate } | { reason: MemoryUpdateRefusal; message: string } {
  if (!memoryIdSchema.safeParse(request.id).success) {
    return { reason: 'invalid_id', message: `"${request.id}" is not a memory id (a UUID from list_memories or search_memories)` };
  }
  if (request.content === undefined && request.metadata === undefined) {
    return { reason: 'nothing_to_update', message: 'give a new content, new metadata or both' };
  }
  const update: MemoryUpdate = { id: request.id.toLowerCase() };
  if (request.content !== undefined) {
    const content = memoryContentSchema(maxChars).safeParse(request.content);
    if (!content.success) return { reason: 'invalid_content', message: content.error.issues[0]!.message };
    update.content = content.data;
  }
  if (request.metadata !== undefined) {
    const metadata = memoryMetadataSchema.safeParse(request.metadata);
    if (!metadata.success) return { reason: 'invalid_metadata', message: metadata.error.issues[0]!.message };
    update.metadata = metadata.data;
  }
  return { update };
}
