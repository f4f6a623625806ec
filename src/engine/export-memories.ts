import type { Clock } from '../clock/clock.js';
import type { UserRow } from '../db/database-schema.js';
import { UserFacingError } from '../errors/user-facing-error.js';
import { NARRATIVE_LINE_KIND } from '../memories/import-line.js';
import type { ExportCursor, ExportedMemory } from '../repositories/memory-repository.js';
import type { RepositorySet } from '../repositories/repository-set.js';
import { invalidationReasons } from './narrative-policy.js';

/** Memories (and users) read per query: what an export holds in memory at most, whatever the size of the user. */
export const EXPORT_PAGE_SIZE = 1_000;

export interface ExportOptions {
  /** The users to export, by external id; all of them when absent. */
  users?: readonly string[];
  /** What has expired is judged on this clock. */
  clock: Clock;
  pageSize?: number;
}

export interface ExportSummary {
  users: number;
  memories: number;
  narratives: number;
  /** Narratives not exported because a memory they were built from was deleted, corrected or expired since. */
  narrativesLeftOut: number;
}

/**
 * A user's memories and narrative as JSON Lines, in the import format (see README, "Import
 * format"), read a page at a time so any number of memories is exported in constant memory. Each
 * user's live memories come oldest first, then their narrative as a line of its own kind, unless a
 * memory it was built from has been deleted, corrected or has expired since (its text may still
 * hold the forgotten fact). Deleted and expired memories are never exported. An export imported
 * into an empty database exports again to the same bytes.
 */
export async function* exportLines(repositories: RepositorySet, options: ExportOptions, summary: ExportSummary): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? EXPORT_PAGE_SIZE;
  for await (const user of usersToExport(repositories, options.users, pageSize)) {
    summary.users += 1;
    let after: ExportCursor | undefined;
    for (;;) {
      const page = await repositories.memories.exportPage(user.id, after, pageSize);
      for (const memory of page) {
        summary.memories += 1;
        yield memoryLine(user.external_id, memory);
      }
      const last = page.at(-1);
      if (page.length < pageSize || !last) break;
      after = { createdAt: last.created_at, contentHash: last.content_hash };
    }
    const narrative = await narrativeLine(repositories, user, options.clock.now());
    if (narrative === 'left_out') summary.narrativesLeftOut += 1;
    else if (narrative) {
      summary.narratives += 1;
      yield narrative.line;
    }
  }
}

export function emptyExportSummary(): ExportSummary {
  return { users: 0, memories: 0, narratives: 0, narrativesLeftOut: 0 };
}

async function* usersToExport(repositories: RepositorySet, externalIds: readonly string[] | undefined, pageSize: number): AsyncGenerator<UserRow> {
  if (externalIds) {
    const users: UserRow[] = [];
    for (const externalId of new Set(externalIds)) {
      const user = await repositories.users.findByExternalId(externalId);
      if (!user) throw new UserFacingError(`no user "${externalId}" to export`);
      users.push(user);
    }
    yield* users;
    return;
  }
  let after: string | undefined;
  for (;;) {
    const page = await repositories.users.page({ limit: pageSize, ...(after === undefined ? {} : { after }) });
    yield* page;
    if (page.length < pageSize) return;
    after = page.at(-1)!.external_id;
  }
}

/** The import line of one memory; `expires_at` only when it expires, so a line that does not reads as before. */
function memoryLine(user: string, memory: ExportedMemory): string {
  return `${JSON.stringify({
    user,
    content: memory.content,
    created_at: memory.created_at.toISOString(),
    metadata: memory.metadata,
    source: memory.source,
    ...(memory.expires_at ? { expires_at: memory.expires_at.toISOString() } : {}),
  })}\n`;
}

/** The user's narrative line; `left_out` when it stands on a memory forgotten since, nothing when there is no narrative. */
async function narrativeLine(repositories: RepositorySet, user: UserRow, now: number): Promise<{ line: string } | 'left_out' | undefined> {
  const narrative = await repositories.narratives.get(user.id);
  if (!narrative) return undefined;
  const sources = [...new Set(narrative.source_memory_ids)];
  const builtFrom = await repositories.memories.liveHashesOf(user.id, sources);
  if (invalidationReasons(narrative, now).length > 0 || builtFrom.length !== sources.length) return 'left_out';
  const line = JSON.stringify({
    kind: NARRATIVE_LINE_KIND,
    user: user.external_id,
    narrative: narrative.narrative_content,
    version: narrative.version,
    generated_at: narrative.generated_at.toISOString(),
    provider: narrative.provider,
    model: narrative.model,
    built_from: builtFrom.sort(),
  });
  return { line: `${line}\n` };
}
