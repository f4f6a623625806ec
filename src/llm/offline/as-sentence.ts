/**
 * A memory's text as one sentence of prose: whitespace collapsed to single spaces (so a memory can
 * never start a heading or a list of its own), leading Markdown markers removed, first letter upper
 * case, and a full stop added when the text has no terminal punctuation.
 */
export function asSentence(text: string): string {
  const flat = text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(?:[#>*+\-=_`|]+\s*|\d+[.)]\s+)+/, '')
    .trim();
  if (flat.length === 0) return '';
  const capitalised = flat.charAt(0).toUpperCase() + flat.slice(1);
  return /[.!?…]["'”’)\]]*$/.test(capitalised) ? capitalised : `${capitalised}.`;
}
