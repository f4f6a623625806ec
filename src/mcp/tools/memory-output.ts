import { z } from 'zod';
import type { MemoryRow } from '../../db/database-schema.js';

export const memoryOutputSchema = z.object({
  id: z.string(),
  content: z.string(),
  created_at: z.string(),
  updated_at: z.string().nullable().describe('When the memory was last corrected; null when never.'),
  expires_at: z.string().nullable().describe('When the memory expires and is forgotten; null when never.'),
  metadata: z.record(z.string(), z.unknown()),
});

export function toMemoryOutput(memory: MemoryRow): z.infer<typeof memoryOutputSchema> {
  return {
    id: memory.id,
    content: memory.content,
    created_at: memory.created_at.toISOString(),
    updated_at: memory.updated_at?.toISOString() ?? null,
    expires_at: memory.expires_at?.toISOString() ?? null,
    metadata: memory.metadata,
  };
}
