/** The server's memory at one moment, in MB (10^6 bytes); null where the server does not tell. */
export interface ServerMemory {
  /** Resident memory of the whole process: V8 heap, native memory and PGlite's WebAssembly memory. */
  rssMb: number | null;
  /** The V8 heap in use, garbage not yet collected included: it swings between collections. */
  heapUsedMb: number | null;
  /** The V8 heap the process holds from the system (in use or not): it follows the heap in use up, and seldom comes down. */
  heapTotalMb: number | null;
  /** The V8 heap the last full (mark-compact) collection left: what is really retained. */
  heapAfterGcMb: number | null;
  /** Memory V8 objects hold outside the heap: buffers, and the embedded database's WebAssembly memory. */
  externalMb: number | null;
  /** The resident part of the embedded database's WebAssembly memory (0 on PostgreSQL). */
  wasmRssMb: number | null;
  /** What the hot tier reckons its users take (`narrative_hot_tier_bytes`). */
  hotTierMb: number | null;
  hotTierUsers: number | null;
  /** Allocated on the V8 heap since the previous sample (from the GC trace), garbage included. */
  allocatedMb: number | null;
  /** How long garbage collections paused the server since the previous sample (from the GC trace). */
  gcPauseMs: number | null;
  /** The server's CPU time so far, user and system, in seconds: per request it does not depend on what else the machine runs. */
  cpuSeconds: number | null;
}

