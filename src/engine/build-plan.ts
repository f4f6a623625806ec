import type { NarrativeRow } from '../db/database-schema.js';
import { invalidationReasons } from './narrative-policy.js';

/** Why a narrative is built from the memories instead of revised. */
export type FullBuildReason =
  | 'first_narrative'
  | 'provider_builds_in_full'
  | 'manual'
  | 'memory_deleted'
  | 'memory_updated'
  | 'memory_expired'
  | 'provider_changed'
  | 'full_rebuild_due';

export type BuildPlan = { kind: 'full'; reason: FullBuildReason } | { kind: 'incremental'; current: NarrativeRow };

export interface BuildContext {
  now: number;
  /** A person asked for this narrative (`regenerate_narrative`). */
  manual: boolean;
  /** The provider that will write it, and whether it can revise a narrative. */
  provider: { name: string; canRevise: boolean };
  /** How long revisions may build on one another before a full build (`NARRATIVE_FULL_REBUILD_DAYS`). */
  fullRebuildMs: number;
}

/**
 * Whether the next version of a narrative is revised from the current one with the memories added
 * since, or built in full from the memories. A revision only ever adds: anything that must leave the
 * narrative (a deleted or expired memory it was built from, the old text of an updated one) or could have
 * drifted in it (revisions since the last full build for `fullRebuildMs`) takes a full build. So does
 * a manual regeneration: a person asking for a better narrative gets one written afresh from
 * everything they shared (it is rate limited, so it cannot run up the cost), not the same text with
 * a few more facts.
 */
export function planBuild(current: NarrativeRow | undefined, context: BuildContext): BuildPlan {
  if (!current) return { kind: 'full', reason: 'first_narrative' };
  if (!context.provider.canRevise) return { kind: 'full', reason: 'provider_builds_in_full' };
  if (context.manual) return { kind: 'full', reason: 'manual' };
  const outdatedBy = invalidationReasons(current, context.now)[0];
  if (outdatedBy) return { kind: 'full', reason: outdatedBy };
  if (current.provider !== context.provider.name) return { kind: 'full', reason: 'provider_changed' };
  const lastFull = current.last_full_build_at?.getTime();
  if (lastFull === undefined || context.now - lastFull >= context.fullRebuildMs) return { kind: 'full', reason: 'full_rebuild_due' };
  return { kind: 'incremental', current };
}
