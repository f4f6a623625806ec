/** A statement refused, or abandoned, because the session it was meant for is gone. */
export class SessionLostError extends Error {
  override readonly name = 'SessionLostError';
  readonly code = 'SESSION_LOST';

  constructor(cause: unknown) {
    super('the database session ended; a new one is opened for the next request', { cause });
  }
}
