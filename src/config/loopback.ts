/** Host names that reach only the machine itself, as `URL.hostname` spells them. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/** What OAuth 2.1 accepts for its own URLs: https, or plain http on the machine itself. */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || isLoopbackHost(url.hostname);
}
