/** One collection as `node --trace-gc` prints it: its kind, and the heap before and after, in MB of 2^20 bytes. */
const COLLECTION = /: (Scavenge|Minor Mark-Compact|Mark-Compact(?: \(reduce\))?) +([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+) \//;
const BYTES_PER_TRACED_MB = 1_048_576;

/**
 * Reads the V8 GC trace a process prints on stdout (`node --trace-gc`). It tells two things the
 * process's own figures do not: the heap the last full collection left (the memory really
 * retained; the heap in use also counts garbage waiting for a collection), and how much was
 * allocated, since every collection starts from what the one before it left; and how long the
 * collections paused the process.
 */
export class GcTrace {
  #partialLine = '';
  #heapAfterLast: number | null = null;
  #heapAfterFull: number | null = null;
  #allocated = 0;
  #pausedMs = 0;

  feed(chunk: string): void {
    const lines = (this.#partialLine + chunk).split('\n');
    this.#partialLine = lines.pop() ?? '';
    for (const line of lines) this.#read(line);
  }

  /** Bytes retained by the last full collection, or null before the first one. */
  get heapAfterFullCollection(): number | null {
    return this.#heapAfterFull;
  }

  /** Bytes allocated on the heap since the previous call (up to the last collection), garbage included. */
  takeAllocated(): number {
    const allocated = this.#allocated;
    this.#allocated = 0;
    return allocated;
  }

  /** Milliseconds the collections paused the process since the previous call. */
  takePausedMs(): number {
    const paused = this.#pausedMs;
    this.#pausedMs = 0;
    return paused;
  }

  #read(line: string): void {
    const match = COLLECTION.exec(line);
    if (!match) return;
    const before = Number(match[2]) * BYTES_PER_TRACED_MB;
    const after = Number(match[3]) * BYTES_PER_TRACED_MB;
    if (this.#heapAfterLast !== null) this.#allocated += Math.max(0, before - this.#heapAfterLast);
    this.#heapAfterLast = after;
    this.#pausedMs += Number(match[4]);
    if (match[1]!.startsWith('Mark-Compact')) this.#heapAfterFull = after;
  }
}
