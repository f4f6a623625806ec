/** An error whose message is meant for the person or client that made the request. */
export class UserFacingError extends Error {
  override readonly name = 'UserFacingError';
}
