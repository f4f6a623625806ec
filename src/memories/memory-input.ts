import { createHash } from 'node:crypto';
import { z } from 'zod';
import { expiresAtSchema, ttlDaysSchema } from './memory-expiry.js';

// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are refused.
const DISALLOWED_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const MAX_METADATA_BYTES = 16_384;
const MAX_METADATA_DEPTH = 32;

/** The text of one memory: plain, well-formed text of 1 to `maxChars` characters. */
export function memoryContentSchema(maxChars: number) {
  return z
    .string({ error: 'content must be a string' })
    .trim()
    .min(1, { error: 'content is empty' })
    .max(maxChars, { error: `content is longer than ${maxChars} characters` })
    .refine((text) => text.isWellFormed(), { error: 'content is not valid Unicode (it has a lone surrogate)' })
    .superRefine((text, ctx) => {
      const match = DISALLOWED_CONTROL.exec(text);
      if (match) {
        const code = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
        ctx.addIssue({ code: 'custom', message: `content contains control character U+${code} at position ${match.index}` });
      }
    });
}

export const memoryMetadataSchema = z
  .record(z.string(), z.unknown(), { error: 'metadata must be a JSON object' })
  .superRefine((metadata, ctx) => {
    // Walked before JSON.stringify sees it: a request body can nest arrays deep enough to overflow the stack.
    const problem = unstorableMetadata(metadata);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
    } else if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
      ctx.addIssue({ code: 'custom', message: `metadata is larger than ${MAX_METADATA_BYTES} bytes of JSON` });
    }
  });

/**
 * Why PostgreSQL could not store this metadata as jsonb, or undefined: nesting beyond
 * `MAX_METADATA_DEPTH`, a NUL character, or a lone surrogate (jsonb refuses both) in a key or value.
 * Iterative, so no depth of input can overflow the stack.
 */
function unstorableMetadata(metadata: Record<string, unknown>): string | undefined {
  const pending: { value: unknown; depth: number }[] = [{ value: metadata, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value === 'string') {
      const problem = unstorableText(value);
      if (problem) return problem;
    } else if (value !== null && typeof value === 'object') {
      if (depth > MAX_METADATA_DEPTH) return `metadata is nested deeper than ${MAX_METADATA_DEPTH} levels`;
      for (const [key, item] of Object.entries(value)) {
        const problem = Array.isArray(value) ? undefined : unstorableText(key);
        if (problem) return problem;
        pending.push({ value: item, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'metadata contains a NUL character, which cannot be stored';
  if (!text.isWellFormed()) return 'metadata is not valid Unicode (it has a lone surrogate)';
  return undefined;
}

// zod's pattern knows the calendar: 2023-02-30 and 2023-02-29 are refused, 2024-02-29 is not.
export const memoryTimestampSchema = z
  .string({ error: 'created_at must be a string' })
  .pipe(z.iso.datetime({ offset: true, error: 'created_at must be an ISO 8601 date-time such as 2024-05-01T12:00:00Z' }))
  .transform((text) => new Date(text));

export function memoryInputSchema(maxChars: number) {
  return z.object({
    content: memoryContentSchema(maxChars),
    metadata: memoryMetadataSchema.optional(),
    created_at: memoryTimestampSchema.optional(),
    expires_at: expiresAtSchema.optional(),
    ttl_days: ttlDaysSchema.optional(),
  });
}

/** A memory as a surface gives it: its expiry, if any, as a moment or as days from when it is written. */
export type MemoryInput = z.output<ReturnType<typeof memoryInputSchema>>;

/** A memory ready to be stored: its expiry resolved to a moment (or none). */
export type NewMemory = Omit<MemoryInput, 'ttl_days'>;

/** Identifies a memory's text for de-duplication: case and spacing differences count as the same. */
export function contentHash(content: string): string {
  const normalized = content.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
  return createHash('sha256').update(normalized).digest('hex');
}
