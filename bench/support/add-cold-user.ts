import type { App } from '../../src/app/app.js';
import type { MemoryInput } from '../../src/memories/memory-input.js';

/** A new user with the given memories and no narrative yet: its next conversation start is a miss. */
export async function addColdUser(app: App, externalId: string, memories: readonly MemoryInput[]): Promise<string> {
  const user = await app.repositories.users.getOrCreate(externalId);
  await app.engine.memories.add(user.id, memories, 'bench');
  if (await app.repositories.narratives.get(user.id)) throw new Error(`bench: ${externalId} already has a narrative; it is not cold`);
  return user.id;
}
