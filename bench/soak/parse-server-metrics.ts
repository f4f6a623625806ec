import type { ServerMemory } from './server-memory.js';
import { toMegabytes } from './to-megabytes.js';

/** The memory figures of a `/metrics` page (Prometheus text), in MB. */
export function parseServerMetrics(metrics: string): Pick<ServerMemory, 'rssMb' | 'heapUsedMb' | 'heapTotalMb' | 'externalMb' | 'hotTierMb' | 'hotTierUsers' | 'cpuSeconds'> {
  const value = (name: string): number | null => {
    const found = new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1];
    return found === undefined ? null : Number(found);
  };
  const megabytes = (name: string): number | null => {
    const bytes = value(name);
    return bytes === null ? null : toMegabytes(bytes);
  };
  return {
    rssMb: megabytes('process_resident_memory_bytes'),
    heapUsedMb: megabytes('nodejs_heap_size_used_bytes'),
    heapTotalMb: megabytes('nodejs_heap_size_total_bytes'),
    externalMb: megabytes('nodejs_external_memory_bytes'),
    hotTierMb: megabytes('narrative_hot_tier_bytes'),
    hotTierUsers: value('narrative_hot_tier_users'),
    cpuSeconds: value('process_cpu_seconds_total'),
  };
}

