import type { RepositorySet } from '../../src/repositories/repository-set.js';

export interface HeldTransaction<T> {
  /** What the work returned, before the commit. */
  value: T;
  /** Lets the transaction commit. */
  commit: () => void;
  /** Settles when the transaction has committed (or failed). */
  committed: Promise<void>;
}

/**
 * Runs `work` in a transaction and keeps the transaction open afterwards, holding its locks, until
 * `commit` is called: for tests of what another transaction sees or waits for meanwhile. Rejects if
 * the work fails.
 */
export async function holdTransaction<T>(repositories: RepositorySet, work: (transaction: RepositorySet) => Promise<T>): Promise<HeldTransaction<T>> {
  let commit!: () => void;
  const released = new Promise<void>((resolve) => (commit = resolve));
  let worked!: (value: T) => void;
  const done = new Promise<T>((resolve) => (worked = resolve));
  const committed = repositories.transaction(async (transaction) => {
    worked(await work(transaction));
    await released;
  });
  const value = await Promise.race([done, committed.then(() => done)]);
  return { value, commit, committed };
}
