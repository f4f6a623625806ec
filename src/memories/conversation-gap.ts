/** A pause this long between two of a user's memories means a new conversation began. */
export const CONVERSATION_GAP_MS = 3 * 3_600_000;
