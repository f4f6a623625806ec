import type { DatabaseKind } from '../../src/db/open-database.js';
import type { BenchDatabase } from '../support/bench-database.js';
import type { BenchRun, SectionName } from '../support/bench-run.js';
import type { LocomoFixture } from '../support/locomo-fixture.js';

/** What a section gets for one database. */
export interface SectionContext {
  full: boolean;
  /** The section was named with --only (some sections then run their issue-sized default instead of the quick one). */
  named: boolean;
  kind: DatabaseKind;
  /** The PostgreSQL server bench databases are created on, when one is used. */
  adminUrl: string | null;
  /** This database run's throw-away database (created on first use). */
  database(): Promise<BenchDatabase>;
  /** The LoCoMo users with fresh narratives in it (prepared on first use). */
  fixture(): Promise<LocomoFixture>;
  log: (line: string) => void;
  /** Records a failure that does not void the figures (the run then exits with 1). */
  problem: (message: string) => void;
}

export interface Section {
  name: SectionName;
  title: string;
  run(context: SectionContext): Promise<BenchRun[]>;
}
