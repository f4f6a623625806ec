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

/** The kind of the line that carries a user's narrative; a line without `kind` is a memory. */
export const NARRATIVE_LINE_KIND = 'narrative';

/**
 * A line carrying a user's narrative as it was exported: its text, version, date and writer, and
 * the memories it was built from, by the hash of their text (`contentHash`), so an import can tie
 * it to the memories it just stored, whose ids are new.
 */
export const narrativeLineSchema = z.object(
  {
    kind: z.literal(NARRATIVE_LINE_KIND),
    user: externalIdSchema,
    narrative: z.string({ error: 'narrative must be a string' }).min(1, { error: 'narrative is empty' }).max(10_000_000),
    version: z.number({ error: 'version must be a number' }).int().min(1, { error: 'version must be a whole number of at least 1' }),
    generated_at: z
      .string({ error: 'generated_at must be a string' })
      .pipe(z.iso.datetime({ offset: true, error: 'generated_at must be an ISO 8601 date-time such as 2024-05-01T12:00:00Z' }))
      .transform((text) => new Date(text)),
    provider: z.string().min(1).max(100),
    model: z.string().min(1).max(200),
    built_from: z.array(z.string().regex(/^[0-9a-f]{64}$/, { error: 'built_from holds SHA-256 hashes of memory texts' })).max(1_000_000),
  },
  { error: 'a narrative line must be a JSON object' },
);

export type NarrativeLine = z.output<typeof narrativeLineSchema>;
