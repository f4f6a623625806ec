/**
 * postgres.js and Node codes of a session whose connection closed, broke or was destroyed, and our
 * own for a guarded session found gone (`SessionLostError`).
 */
const SESSION_LOST_CODES: ReadonlySet<string> = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'SESSION_LOST',
]);

/** SQLSTATEs the server ends a session with: connection exceptions (class 08), shutdown, crash, restart. */
const SESSION_ENDED_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-3])$/;

/**
 * Whether an error from a statement means its session is gone: nothing more can be sent on it,
 * and its transaction, session settings and advisory locks went with it.
 */
export function isSessionLost(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && (SESSION_LOST_CODES.has(code) || SESSION_ENDED_SQLSTATE.test(code));
}
