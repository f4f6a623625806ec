const RELATIVE_TIME =
  /\b(?:recently|lately|yesterday|today|tonight|tomorrow|ago|currently|soon|upcoming|(?:last|next|this|previous|coming|past|the other)\s+(?:day|night|week|weekend|month|year|summer|winter|spring|fall|autumn|semester|season|monday|tuesday|wednesday|thursday|friday|saturday|sunday|few\s+\w+|couple\s+of\s+\w+))\b/i;

/** Whether a sentence speaks of time relative to when it was said, so that its date helps the reader. */
export function mentionsRelativeTime(text: string): boolean {
  return RELATIVE_TIME.test(text);
}
