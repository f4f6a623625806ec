import { readdirSync, readFileSync } from 'node:fs';

/**
 * A process and all its descendants, parents before children, from each thread's
 * `/proc/<pid>/task/<tid>/children` (Linux). For `serve --http --workers N`: the primary, then its
 * N workers. A process that has ended has no children.
 */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let index = 0; index < tree.length; index += 1) tree.push(...childrenOf(tree[index]!));
  return tree;
}

/** Whether a process is still there; a zombie (ended, not yet waited for) is not. */
export function processRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return threads.flatMap((thread) => {
    try {
      return readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}
