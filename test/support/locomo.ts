import { join } from 'node:path';

/** The LoCoMo test data, read in place from the shared folder beside the repository. */
export const LOCOMO_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'locomo');
export const LOCOMO_MEMORIES = join(LOCOMO_DIR, 'memories.jsonl');
