import { z } from 'zod';

/** The id a client, the CLI or an import file uses for a user. */
export const externalIdSchema = z
  .string({ error: 'user id must be a string' })
  .trim()
  .min(1, { error: 'user id is empty' })
  .max(200, { error: 'user id is longer than 200 characters' })
  .regex(/^[\p{L}\p{N}._:@+-]+$/u, {
    error: 'user id may contain only letters, digits and . _ : @ + -',
  });
