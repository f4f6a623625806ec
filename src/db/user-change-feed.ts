import postgres from 'postgres';
import type { SessionClientOptions } from './pooled-session.js';

/** The channel the database announces committed changes to a user's memories or narrative on. */
export const USER_CHANGED_CHANNEL = 'narrative_mcp_user_changed';

/** How the listening connection shows in `pg_stat_activity`. */
export const USER_CHANGE_FEED_APPLICATION_NAME = 'narrative-mcp change feed';

export interface UserChangeListener {
  /** A change to this user was committed (by any process). */
  changed(userId: string): void;
  /**
   * The feed is listening: called once it starts and again after every reconnection, when
   * announcements made while it was away may have been missed.
   */
  listening(): void;
  /** The feed's connection dropped: announcements are missed from now until `listening` is called again. */
  stopped(): void;
}

/** Starts listening; resolves to a function that stops. */
export type ListenForUserChanges = (listener: UserChangeListener) => Promise<() => Promise<void>>;

/**
 * Listens on a PostgreSQL connection of its own. When it drops, the listener is told at once and
 * LISTEN is sent again, which reconnects with the client's backoff (a failed attempt closes the
 * connection again, and so tries again). postgres.js's own `listen` listens again too, but says
 * nothing until it is back, while holders would serve what they can no longer hear about.
 */
export function listenOnPostgres(url: string, clientOptions: SessionClientOptions): ListenForUserChanges {
  return async (listener) => {
    let stopping = false;
    const options = {
      ...clientOptions,
      max: 1,
      // Either would end the connection, and the listening with it, when no change comes for a while.
      idle_timeout: 0,
      max_lifetime: null,
      fetch_types: false,
      connection: { ...clientOptions.connection, application_name: USER_CHANGE_FEED_APPLICATION_NAME },
      // Not in postgres.js's types, but how its own `listen` receives notifications.
      onnotify: (channel: string, payload: string) => {
        if (channel === USER_CHANGED_CHANNEL) listener.changed(payload);
      },
      onclose: () => {
        if (stopping) return;
        listener.stopped();
        listen().then(
          () => {
            if (!stopping) listener.listening();
          },
          () => undefined,
        );
      },
    };
    const client = postgres(url, options);
    const listen = () => client.unsafe(`listen ${USER_CHANGED_CHANNEL}`);
    try {
      await listen();
    } catch (error) {
      stopping = true;
      await client.end({ timeout: 0 });
      throw error;
    }
    listener.listening();
    return async () => {
      stopping = true;
      await client.end({ timeout: 5 });
    };
  };
}
