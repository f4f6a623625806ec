import { readFileSync } from 'node:fs';

/** Resident and peak resident memory of a running process, in MB, from /proc/<pid>/status (Linux). */
export interface ProcessMemory {
  rssMb: number;
  /** VmHWM: the highest RSS the process has had since it started. */
  hwmMb: number;
}

export function processMemory(pid: number): ProcessMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: Math.round(kb('VmRSS') / 1024), hwmMb: Math.round(kb('VmHWM') / 1024) };
}
