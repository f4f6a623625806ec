import type { z } from 'zod';

/** The first problem of a failed parse as one line: `field.path: what is wrong`. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const field = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${field}${issue.message}`;
}
