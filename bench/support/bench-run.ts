import type { DatabaseKind } from '../../src/db/open-database.js';
import type { LatencySummary } from './latency-summary.js';

export const SECTION_NAMES = ['hit', 'reference', 'throughput', 'miss', 'cost', 'backfill', 'search', 'tokens', 'sharing', 'workers'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export type Transport = 'in-process' | 'stdio' | 'http';

/** A figure compared with the goal the issue sets for it. */
export interface TargetCheck {
  target: string;
  measured: number;
  met: boolean;
}

/** One measurement: what, on which database and transport, with which parameters, and the figures. */
export interface BenchRun extends Partial<LatencySummary> {
  section: SectionName;
  what: string;
  database: DatabaseKind | 'reference (JSONL file)' | 'floor (no database)' | null;
  transport: Transport | null;
  params: Record<string, string | number | boolean>;
  /** The parameters that matter, as a few words for the printed table. */
  setting: string;
  /** What the percentiles are in: milliseconds unless said otherwise. */
  unit?: 'ms' | 'ratio';
  /** Figures other than the latency percentiles (throughput, RSS, ratios, counts), units in the names. */
  figures: Record<string, number | string | boolean>;
  /** The same figures as a short line for the printed table. */
  summary: string;
  targets: TargetCheck[];
}
