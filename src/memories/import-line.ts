import { z } from 'zod';
import { externalIdSchema } from '../users/external-id.js';
import { expiresAtSchema, ttlDaysSchema } from './memory-expiry.js';
import { memoryContentSchema, memoryMetadataSchema, memoryTimestampSchema } from './memory-input.js';

/** One line of a JSON Lines import file: `{user, content, created_at?, metadata?, source?, expires_at?, ttl_days?}`. */
export function importLineSchema(maxChars: number) {
  return z.object(
    {
      user: externalIdSchema,
      content: memoryContentSchema(maxChars),
      created_at: memoryTimestampSchema.optional(),
      metadata: memoryMetadataSchema.optional(),
      source: z.string().trim().min(1).max(100).optional(),
      expires_at: expiresAtSchema.optional(),
      ttl_days: ttlDaysSchema.optional(),
    },
    { error: 'a line must be a JSON object' },
  );
}

export type ImportLine = z.output<ReturnType<typeof importLineSchema>>;
