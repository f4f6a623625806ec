import { atMost } from './at-most.js';
import type { TargetCheck } from './bench-run.js';

/** What a server showed over the measured calls of one transport. */
export interface ServerFigures {
  p50: number;
  p99: number;
  /** The server process's CPU time over the measured calls, divided by their number. */
  cpuMsPerCall: number;
}

export interface FloorComparison {
  figures: { p50Ratio: number; p99Ratio: number; cpuPerCallRatio: number };
  summary: string;
  targets: TargetCheck[];
}

/**
 * Our server against the protocol floor (the MCP SDK answering the same answer and doing nothing
 * else), measured in the same run: ours / floor for the p50, the p99 and the server CPU per call,
 * and the targets of the transport: over stdio the p50 and p99 within 1.2 times the floor's, over
 * HTTP the server CPU per call and the p50 within 1.5 times. A floor figure of zero gives no ratio
 * (NaN), which no target meets.
 */
export function compareWithFloor(transport: 'stdio' | 'http', ours: ServerFigures, floor: ServerFigures): FloorComparison {
  const figures = {
    p50Ratio: ratio(ours.p50, floor.p50),
    p99Ratio: ratio(ours.p99, floor.p99),
    cpuPerCallRatio: ratio(ours.cpuMsPerCall, floor.cpuMsPerCall),
  };
  const targets =
    transport === 'stdio'
      ? [atMost('p50 / floor', figures.p50Ratio, 1.2, ''), atMost('p99 / floor', figures.p99Ratio, 1.2, '')]
      : [atMost('server CPU per call / floor', figures.cpuPerCallRatio, 1.5, ''), atMost('p50 / floor', figures.p50Ratio, 1.5, '')];
  return {
    figures,
    summary: `p50s ${show(figures.p50Ratio)}, p99s ${show(figures.p99Ratio)}, server CPU per call ${show(figures.cpuPerCallRatio)}`,
    targets,
  };
}

function ratio(ours: number, floor: number): number {
  return floor > 0 ? Number((ours / floor).toFixed(3)) : NaN;
}

function show(value: number): string {
  return Number.isNaN(value) ? 'n/a (floor at 0)' : String(value);
}
