import type { PostgresQueryResult } from 'kysely';

/** What a guest process asks of the process that owns the embedded database. */
export type GuestMessage =
  /** A session of the database: granted (`connected`) when no other process's session is open. */
  | { readonly kind: 'connect'; readonly id: number }
  | { readonly kind: 'query'; readonly id: number; readonly session: number; readonly sql: string; readonly parameters: readonly unknown[] }
  /** Ends a session; whatever transaction it left open is rolled back. */
  | { readonly kind: 'release'; readonly session: number }
  /** Forward every change announcement from now on. */
  | { readonly kind: 'listen'; readonly id: number }
  | { readonly kind: 'lead'; readonly id: number; readonly duty: string }
  | { readonly kind: 'unlead'; readonly duty: string };

/** What the owner answers, and the change announcements it forwards. */
export type HostMessage =
  | { readonly kind: 'connected'; readonly id: number }
  | { readonly kind: 'result'; readonly id: number; readonly result: PostgresQueryResult<unknown> }
  | { readonly kind: 'failed'; readonly id: number; readonly error: SentError }
  | { readonly kind: 'listening'; readonly id: number }
  | { readonly kind: 'led'; readonly id: number; readonly granted: boolean }
  | { readonly kind: 'changed'; readonly userId: string };

/** An error as it crosses: its message and the fields callers read (PostgreSQL's `code`, `constraint`, …). */
export interface SentError {
  readonly message: string;
  readonly fields: Readonly<Record<string, string | number>>;
}

export function sendableError(error: unknown): SentError {
  if (!(error instanceof Error)) return { message: String(error), fields: {} };
  const fields: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(error)) {
    if (typeof value === 'string' || typeof value === 'number') fields[name] = value;
  }
  return { message: error.message, fields };
}

export function receivedError({ message, fields }: SentError): Error {
  return Object.assign(new Error(message), fields);
}
