import { sql, type RawBuilder } from 'kysely';

/** How the transactions that store what is derived from memories (a narrative, a lease) commit. */
export interface DerivedCommits {
  /**
   * Without waiting for the write-ahead log to reach the disk. For a PostgreSQL server only: a
   * crash of the server can lose the last such commits (at most three `wal_writer_delay`s of them),
   * never part of one and never one a later synchronous commit follows, since the log is flushed
   * in order, and what was lost is generated again; the wait it saves is a disk flush per commit,
   * milliseconds on common disks. PGlite has no WAL writer: its commits would wait in memory for
   * the next synchronous one, and be lost with the process.
   */
  withoutDiskWait: boolean;
}

/**
 * Selected in a statement, commits its transaction as `commits` says (`synchronous_commit` off
 * for this transaction only, or left as it is).
 */
export function derivedCommitMode(commits: DerivedCommits): RawBuilder<string> {
  return commits.withoutDiskWait ? sql<string>`set_config('synchronous_commit', 'off', true)` : sql<string>`current_setting('synchronous_commit')`;
}
