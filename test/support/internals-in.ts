/** What no response may show a client: where the code is, how it failed inside, or what the database said. */
const INTERNALS: [string, RegExp][] = [
  ['a stack frame', /\bat (?:async )?[\w$.<>[\] ]+ \(?(?:file:\/\/|\/|node:)[^\s)]+:\d+:\d+\)?/],
  ['a source path', /node_modules|file:\/\/\/|\/src\/[\w/-]+\.(?:ts|js)\b|\.(?:ts|js|mjs|cjs):\d+/],
  ['an error class', /\b(?:TypeError|RangeError|ReferenceError|SyntaxError|AggregateError)\b/],
  ['a database error', /syntax error at or near|invalid input syntax|invalid byte sequence|violates (?:unique|foreign key|not-null|check)|SQLSTATE|pg_catalog/i],
  ['a driver error', /ECONNREFUSED|ECONNRESET|CONNECTION_CLOSED|CONNECTION_ENDED|CONNECT_TIMEOUT|postgres(?:ql)?:\/\//],
];

/**
 * Names the first internal detail found in a response, or undefined. The client's own input is
 * removed first (`echoes`, raw and JSON-escaped), since a server may rightly quote it back.
 */
export function internalsIn(text: string, echoes: readonly string[] = []): string | undefined {
  let cleaned = text;
  for (const echo of echoes) {
    if (echo.length < 3) continue;
    for (const form of new Set([echo, echo.trim(), JSON.stringify(echo).slice(1, -1), JSON.stringify(echo.trim()).slice(1, -1)])) {
      if (form.length >= 3) cleaned = cleaned.split(form).join('');
    }
  }
  for (const [what, pattern] of INTERNALS) {
    const match = pattern.exec(cleaned);
    if (match) return `${what}: ${JSON.stringify(cleaned.slice(Math.max(0, match.index - 80), match.index + 120))}`;
  }
  return undefined;
}
