import { z } from 'zod';
import { expiresAtSchema, resolveExpiry, ttlDaysSchema } from './memory-expiry.js';
import { memoryContentSchema, memoryMetadataSchema } from './memory-input.js';

/** A checked correction of one memory: a new text, new metadata, a new expiry (null: none), or several. */
export interface MemoryUpdate {
  id: string;
  content?: string;
  metadata?: Record<string, unknown>;
  expiresAt?: Date | null;
}

/** A correction as a client sends it, before it is checked (`expires_at: null` removes an expiry). */
export interface MemoryUpdateRequest {
  id: string;
  content?: unknown;
  metadata?: unknown;
  expires_at?: unknown;
  ttl_days?: unknown;
}

/** Why one correction of a call can be refused. */
export const MEMORY_UPDATE_REFUSALS = [
  'invalid_id',
  'nothing_to_update',
  'invalid_content',
  'invalid_metadata',
  'invalid_expiry',
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
 * changes something, and its text, metadata and expiry (at `now`) by the rules every new memory follows.
 */
export function checkMemoryUpdate(
  request: MemoryUpdateRequest,
  maxChars: number,
  now: number,
): { update: MemoryUpdate } | { reason: MemoryUpdateRefusal; message: string } {
  if (!memoryIdSchema.safeParse(request.id).success) {
    return { reason: 'invalid_id', message: `"${request.id}" is not a memory id (a UUID from list_memories or search_memories)` };
  }
  if (request.content === undefined && request.metadata === undefined && request.expires_at === undefined && request.ttl_days === undefined) {
    return { reason: 'nothing_to_update', message: 'give a new content, new metadata, a new expiry (expires_at or ttl_days), or several' };
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
  if (request.expires_at !== undefined || request.ttl_days !== undefined) {
    const expiry = checkExpiry(request, now);
    if ('message' in expiry) return { reason: 'invalid_expiry', message: expiry.message };
    update.expiresAt = expiry.expiresAt;
  }
  return { update };
}

/** The new expiry a correction asks for (null: never expire), or what is wrong with it. */
function checkExpiry(request: MemoryUpdateRequest, now: number): { expiresAt: Date | null } | { message: string } {
  if (request.expires_at === null && request.ttl_days === undefined) return { expiresAt: null };
  const expiresAt = request.expires_at === undefined ? undefined : expiresAtSchema.safeParse(request.expires_at);
  if (expiresAt && !expiresAt.success) return { message: expiresAt.error.issues[0]!.message };
  const ttlDays = request.ttl_days === undefined ? undefined : ttlDaysSchema.safeParse(request.ttl_days);
  if (ttlDays && !ttlDays.success) return { message: ttlDays.error.issues[0]!.message };
  const expiry = resolveExpiry({ expires_at: expiresAt?.data, ttl_days: ttlDays?.data }, now);
  return 'problem' in expiry ? { message: expiry.problem } : expiry;
}
