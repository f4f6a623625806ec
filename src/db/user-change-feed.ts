/** The channel the database announces committed changes to a user's memories or narrative on. */
export const USER_CHANGED_CHANNEL = 'narrative_mcp_user_changed';

export interface UserChangeListener {
  /** A change to this user was committed (by any process). */
  changed(userId: string): void;
  /**
   * The feed is listening: called once it starts and again after every reconnection, when
   * announcements made while it was away may have been missed.
   */
  listening(): void;
}

/** Starts listening; resolves to a function that stops. */
export type ListenForUserChanges = (listener: UserChangeListener) => Promise<() => Promise<void>>;
