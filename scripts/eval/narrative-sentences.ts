/** The one-line note the offline writer opens with: it says how the text was made, not who the user is. */
const WRITER_NOTE = /^Selected from \d+ memor(?:y|ies) without an LLM\b/;

/** Words ending in a full stop that do not end a sentence ("Dr. Ana", "J. K. Rowling"). */
const ABBREVIATION = /(?:^|\s)(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc|e\.g|i\.e|No|Mt|[A-Z])\.$/;

/**
 * The sentences of a narrative as a reader meets them: the body's prose and list items, without
 * headings or the offline writer's note, split at terminal punctuation that is not inside double
 * quotes (a quoted sentence belongs to the sentence that quotes it) nor after an abbreviation.
 */
export function narrativeSentences(narrative: string): string[] {
  const sentences: string[] = [];
  for (const rawLine of narrative.split('\n')) {
    const line = rawLine.trim().replace(/^(?:[-*+]|\d+[.)])\s+/, '');
    if (line.length === 0 || line.startsWith('#') || WRITER_NOTE.test(line)) continue;
    sentences.push(...splitLine(line));
  }
  return sentences;
}

function splitLine(line: string): string[] {
  const sentences: string[] = [];
  let start = 0;
  let inQuote = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i]!;
    const closing = char === '”' || (char === '"' && inQuote);
    if (char === '“' || (char === '"' && !inQuote)) inQuote = true;
    else if (closing) inQuote = false;
    const ends = closing ? /[.!?…]/.test(line[i - 1] ?? '') : !inQuote && /[.!?…]/.test(char);
    if (!ends) continue;
    let end = i + 1;
    while (end < line.length && /[.!?…'’)\]]/.test(line[end]!)) end += 1;
    if (line[end] !== ' ' || !/["“‘'(]?[\p{Lu}\d]/u.test(line.slice(end + 1, end + 3))) continue;
    const sentence = line.slice(start, end).trim();
    if (ABBREVIATION.test(sentence)) continue;
    sentences.push(sentence);
    start = end + 1;
    i = end;
  }
  const rest = line.slice(start).trim();
  if (rest.length > 0) sentences.push(rest);
  return sentences;
}

/** The sentence with every double-quoted passage taken out: what the narrative says in its own voice. */
export function outsideQuotes(sentence: string): string {
  return sentence.replace(/“[^”]*(?:”|$)|"[^"]*(?:"|$)/g, ' ');
}
