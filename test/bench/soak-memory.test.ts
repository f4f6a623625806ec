import { describe, expect, it } from 'vitest';
import { GcTrace } from '../../bench/soak/gc-trace.js';
import { parseServerMetrics } from '../../bench/soak/parse-server-metrics.js';
import { readWasmResident } from '../../bench/soak/read-wasm-resident.js';
import type { ServerMemory } from '../../bench/soak/server-memory.js';
import { summarizeMemory } from '../../bench/soak/summarize-memory.js';

const MIB = 1_048_576;

// Node has WebAssembly, but this project's TypeScript libraries do not declare it as a value.
const WasmMemory = (globalThis as unknown as { WebAssembly: { Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly
  .Memory;

// Lines as node 20's --trace-gc prints them (the pid and isolate prefix, the time, the collection).
const SCAVENGE = (before: number, after: number) =>
  `[4242:0x6a3e2c0]     1203 ms: Scavenge ${before} (${before + 20}.0) -> ${after} (${before + 21}.0) MB, 1.91 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure; \n`;
const FULL = (before: number, after: number) =>
  `[4242:0x6a3e2c0]     5123 ms: Mark-Compact ${before} (${before + 30}.2) -> ${after} (${after + 25}.4) MB, 12.30 / 0.00 ms  (+ 5.1 ms in 30 steps since start of marking, biggest step 0.6 ms, walltime since start of marking 60 ms) (average mu = 0.990, current mu = 0.980) finalize incremental marking via task; GC in old space requested\n`;

function window(rssMb: number, hotTierMb: number | null): ServerMemory {
  return { rssMb, heapUsedMb: 100, heapTotalMb: 150, heapAfterGcMb: 80, externalMb: 10, wasmRssMb: 0, hotTierMb, hotTierUsers: 100, allocatedMb: 50, gcPauseMs: 30, cpuSeconds: 12 };
}

describe('the GC trace of the soak server', () => {
  it('tells the heap the last full collection left, and what was allocated between collections', () => {
    const trace = new GcTrace();
    expect(trace.heapAfterFullCollection).toBeNull();
    trace.feed(SCAVENGE(40, 30));
    trace.feed(SCAVENGE(46, 31));
    // A line may arrive in two chunks.
    const full = FULL(120, 70);
    trace.feed(full.slice(0, 40));
    expect(trace.heapAfterFullCollection).toBeNull();
    trace.feed(`${full.slice(40)}narrative-mcp: unrelated output\n`);
    expect(trace.heapAfterFullCollection).toBe(70 * MIB);
    // From 30 to 46, then from 31 to 120: 16 + 89 MB (the first collection has nothing before it).
    expect(trace.takeAllocated()).toBeCloseTo(105 * MIB, -3);
    expect(trace.takeAllocated()).toBe(0);
    expect(trace.takePausedMs()).toBeCloseTo(1.91 + 1.91 + 12.3, 5);
    expect(trace.takePausedMs()).toBe(0);
    trace.feed(SCAVENGE(78, 71));
    expect(trace.takeAllocated()).toBeCloseTo(8 * MIB, -3);
    expect(trace.heapAfterFullCollection).toBe(70 * MIB);
  });
});

describe('the memory figures of /metrics', () => {
  it('reads the process, heap and hot-tier figures, in MB', () => {
    const metrics = [
      '# HELP process_resident_memory_bytes Resident memory size in bytes.',
      'process_resident_memory_bytes 412345678',
      'nodejs_heap_size_used_bytes 98765432',
      'nodejs_heap_size_total_bytes 150000000',
      'nodejs_external_memory_bytes 205123456',
      'narrative_hot_tier_bytes 15400000',
      'narrative_hot_tier_users 117',
      'process_cpu_seconds_total 12.5',
      'nodejs_heap_space_size_used_bytes{space="old"} 5',
    ].join('\n');
    expect(parseServerMetrics(metrics)).toEqual({ rssMb: 412.3, heapUsedMb: 98.8, heapTotalMb: 150, externalMb: 205.1, hotTierMb: 15.4, hotTierUsers: 117, cpuSeconds: 12.5 });
    expect(parseServerMetrics('')).toEqual({ rssMb: null, heapUsedMb: null, heapTotalMb: null, externalMb: null, hotTierMb: null, hotTierUsers: null, cpuSeconds: null });
  });
});

describe.skipIf(process.platform !== 'linux')('the resident WebAssembly memory of a process', () => {
  it('counts the pages of a WebAssembly memory that were written', async () => {
    const before = (await readWasmResident(process.pid))!;
    const memory = new WasmMemory({ initial: 3_200 });
    new Uint8Array(memory.buffer).fill(1, 0, 150 * 1e6);
    const grown = (await readWasmResident(process.pid))! - before;
    expect(grown).toBeGreaterThan(145 * 1e6);
    expect(grown).toBeLessThan(160 * 1e6);
  });
});

describe('the memory summary of a soak', () => {
  it('counts the RSS growth both raw and net of what the hot tier grew', () => {
    const summary = summarizeMemory([window(400, 10), window(430, 25), window(432, 30)]);
    expect(summary.rssMb).toEqual({ afterWarmUp: 400, end: 432, max: 432, growthPercent: 8, growthNetOfHotTierPercent: 3 });
    expect(summary.hotTierMb).toEqual({ afterWarmUp: 10, end: 30 });
  });

  it('counts a shrinking tier against the growth, and leaves the net figure out when the tier is unknown', () => {
    expect(summarizeMemory([window(400, 30), window(420, 10)]).rssMb.growthNetOfHotTierPercent).toBe(10);
    expect(summarizeMemory([window(400, null), window(420, null)]).rssMb).toMatchObject({ growthPercent: 5, growthNetOfHotTierPercent: null });
  });
});
