/** One user whose narrative could not be written, as a summary lists it. */
export interface UserFailure {
  /** The external id. */
  user: string;
  kind: string;
  message: string;
}
