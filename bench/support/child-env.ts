/**
 * The whole environment of a process the bench starts: nothing leaks in from the bench's own
 * (no GEMINI_API_KEY, no DATABASE_URL but the one given), and logs below warnings stay quiet.
 */
export function childEnv(vars: Readonly<Record<string, string>>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    LOG_LEVEL: 'warn',
    ...vars,
  };
}
