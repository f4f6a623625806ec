import { HOUR_MS } from '../clock/durations.js';

/** A pause this long between two of a user's memories means a new conversation began. */
export const CONVERSATION_GAP_MS = 3 * HOUR_MS;
