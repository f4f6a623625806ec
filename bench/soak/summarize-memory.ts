import type { ServerMemory } from './server-memory.js';

/** The server's memory over the windows after the warm-up, in MB: where it began, where it ended. */
export interface MemorySummary {
  rssMb: {
    afterWarmUp: number | null;
    end: number | null;
    max: number | null;
    growthPercent: number | null;
    /**
     * The growth of the RSS less the growth of the hot tier's bytes: the users it holds grow with
     * the data the run adds, within its budget (HOT_TIER_MB), which is no leak. The target is held
     * against this figure; null when the tier's bytes are unknown.
     */
    growthNetOfHotTierPercent: number | null;
  };
  heapUsedMb: { min: number | null; max: number | null };
  heapTotalMb: { afterWarmUp: number | null; end: number | null };
  heapAfterGcMb: { afterWarmUp: number | null; end: number | null };
  externalMb: { afterWarmUp: number | null; end: number | null };
  wasmRssMb: { afterWarmUp: number | null; end: number | null };
  hotTierMb: { afterWarmUp: number | null; end: number | null };
  hotTierUsers: { afterWarmUp: number | null; end: number | null };
}

/** Sums up the memory of the windows after the warm-up (the first window is the baseline). */
export function summarizeMemory(windows: readonly ServerMemory[]): MemorySummary {
  const known = (pick: (window: ServerMemory) => number | null): number[] =>
    windows.map(pick).filter((value): value is number => value !== null);
  const span = (pick: (window: ServerMemory) => number | null) => {
    const values = known(pick);
    return { afterWarmUp: values[0] ?? null, end: values.at(-1) ?? null };
  };
  const rss = known((window) => window.rssMb);
  const baseline = windows[0]?.rssMb ?? null;
  const end = windows.at(-1)?.rssMb ?? null;
  const tierBaseline = windows[0]?.hotTierMb ?? null;
  const tierEnd = windows.at(-1)?.hotTierMb ?? null;
  const percentOf = (growth: number) => (baseline ? Math.round((growth / baseline) * 1000) / 10 : null);
  const heapUsed = known((window) => window.heapUsedMb);
  return {
    rssMb: {
      afterWarmUp: baseline,
      end,
      max: rss.length > 0 ? Math.max(...rss) : null,
      growthPercent: baseline !== null && end !== null ? percentOf(end - baseline) : null,
      growthNetOfHotTierPercent:
        baseline !== null && end !== null && tierBaseline !== null && tierEnd !== null ? percentOf(end - baseline - (tierEnd - tierBaseline)) : null,
    },
    heapUsedMb: { min: heapUsed.length > 0 ? Math.min(...heapUsed) : null, max: heapUsed.length > 0 ? Math.max(...heapUsed) : null },
    heapTotalMb: span((window) => window.heapTotalMb),
    heapAfterGcMb: span((window) => window.heapAfterGcMb),
    externalMb: span((window) => window.externalMb),
    wasmRssMb: span((window) => window.wasmRssMb),
    hotTierMb: span((window) => window.hotTierMb),
    hotTierUsers: span((window) => window.hotTierUsers),
  };
}
