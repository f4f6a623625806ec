import { z } from 'zod';
import type { MemoryRow } from '../../db/database-schema.js';

export const memoryOutputSchema = z.object({
  id: z.string(),
  content: z.string(),
  created_at: z.string(),
  metadata: z.record(z.string(), z.unknown()),
});

export function toMemoryOutput(memory: MemoryRow): z.infer<typeof memoryOutputSchema> {
  return { id: memory.id, content: memory.content, created_at: memory.created_at.toISOString(), metadata: memory.metadata };
}
