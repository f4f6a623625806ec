import { processMemory } from './process-memory.js';

export interface RssSampler {
  /** Stops sampling; the highest RSS seen, and the process's own lifetime peak (VmHWM), in MB. */
  stop(): { peakMb: number; hwmMb: number };
}

/** Samples a process's RSS every `intervalMs` (a child's: the bench's own work does not count). */
export function sampleRss(pid: number, intervalMs = 20): RssSampler {
  let peakMb = 0;
  let hwmMb = 0;
  const sample = () => {
    const memory = processMemory(pid);
    if (!memory) return;
    peakMb = Math.max(peakMb, memory.rssMb);
    hwmMb = memory.hwmMb;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { peakMb, hwmMb };
    },
  };
}
