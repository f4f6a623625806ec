import type { ChildProcess } from 'node:child_process';

/** Child processes the bench started and has not seen exit: an interrupted run stops them. */
export const runningChildren = new Set<ChildProcess>();

/** Tracks `child` until it exits. */
export function trackChild(child: ChildProcess): ChildProcess {
  runningChildren.add(child);
  child.once('exit', () => runningChildren.delete(child));
  return child;
}
