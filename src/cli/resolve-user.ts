import type { UserRow } from '../db/database-schema.js';
import { UserFacingError } from '../errors/user-facing-error.js';
import type { UserRepository } from '../repositories/user-repository.js';
import { externalIdSchema } from '../users/external-id.js';

/** The existing user with this external id, or an error saying how to create one. */
export async function requireUser(users: UserRepository, externalId: string): Promise<UserRow> {
  const id = parseExternalId(externalId);
  const user = await users.findByExternalId(id);
  if (!user) {
    throw new UserFacingError(
      `no user "${id}": create it with \`narrative-mcp users add ${id}\` or import memories for it first`,
    );
  }
  return user;
}

export function parseExternalId(externalId: string): string {
  const parsed = externalIdSchema.safeParse(externalId);
  if (!parsed.success) throw new UserFacingError(`invalid user id "${externalId}": ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}
