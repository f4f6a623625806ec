import { readFile } from 'node:fs/promises';

/** Mappings this large are WebAssembly memory: the V8 heap is made of pages of 256 kB and large objects far smaller than this. */
const WASM_MAPPING_KB = 128 * 1024;

/**
 * The resident bytes of a process's anonymous read-write mappings of 128 MB or more, from Linux's
 * `/proc/PID/smaps`: the embedded database's WebAssembly memory, which grows to its working size
 * and is never given back. Null where there is no `/proc`.
 */
export async function readWasmResident(pid: number): Promise<number | null> {
  const smaps = await readFile(`/proc/${pid}/smaps`, 'utf8').catch(() => null);
  if (smaps === null) return null;
  let residentKb = 0;
  let anonymousReadWrite = false;
  let sizeKb = 0;
  for (const line of smaps.split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ (\d+)\s*(\S*)/.exec(line);
    if (mapping) {
      anonymousReadWrite = mapping[1] === 'rw-p' && mapping[2] === '0' && mapping[3] === '';
      continue;
    }
    if (line.startsWith('Size:')) sizeKb = Number(line.slice(5).trim().split(' ')[0]);
    else if (line.startsWith('Rss:') && anonymousReadWrite && sizeKb >= WASM_MAPPING_KB) residentKb += Number(line.slice(4).trim().split(' ')[0]);
  }
  return residentKb * 1024;
}
