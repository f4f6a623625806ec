import type { App } from '../app/app.js';
import { UserFacingError } from '../errors/user-facing-error.js';
import type { UserMemoryCount } from '../repositories/user-repository.js';

export interface BackfillTargets {
  /** Users with at least the minimum number of memories among the targets. */
  eligible: number;
  /** The targets a page at a time: never all users in memory at once. */
  pages: AsyncIterable<UserMemoryCount[]>;
}

/**
 * The users a backfill walks: the named ones (each must exist), in the order given; otherwise
 * every user with at least `minMemories` live memories, by external id, in keyset pages (starting
 * after `after` when given).
 */
export async function backfillTargets(
  app: App,
  options: { minMemories: number; batchSize: number; users?: readonly string[]; after?: string },
): Promise<BackfillTargets> {
  const { users } = app.repositories;
  if (options.users !== undefined) {
    const named = await namedUsers(app, options.users);
    return {
      eligible: named.filter((user) => user.memory_count >= options.minMemories).length,
      pages: (async function* () {
        for (let start = 0; start < named.length; start += options.batchSize) yield named.slice(start, start + options.batchSize);
      })(),
    };
  }
  return {
    eligible: await users.countWithMinMemories(options.minMemories, options.after),
    pages: (async function* () {
      let after = options.after;
      for (;;) {
        const page = await users.pageWithMinMemories({ minMemories: options.minMemories, limit: options.batchSize, ...(after === undefined ? {} : { after }) });
        if (page.length > 0) yield page;
        if (page.length < options.batchSize) return;
        after = page.at(-1)!.external_id;
      }
    })(),
  };
}

async function namedUsers(app: App, externalIds: readonly string[]): Promise<UserMemoryCount[]> {
  const found: UserMemoryCount[] = [];
  const unknown: string[] = [];
  for (const externalId of new Set(externalIds)) {
    const user = await app.repositories.users.findByExternalId(externalId);
    if (!user) unknown.push(externalId);
    else found.push({ id: user.id, external_id: user.external_id, memory_count: await app.repositories.memories.count(user.id) });
  }
  if (unknown.length > 0) {
    const list = unknown.map((id) => `"${id}"`).join(', ');
    throw new UserFacingError(`no user ${list}: see \`narrative-mcp users list\` for the users there are`);
  }
  return found;
}
