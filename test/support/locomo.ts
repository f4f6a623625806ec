import { join } from 'node:path';

/** The LoCoMo conversations the project carries (see data/locomo/README.md for their source and licence). */
export const LOCOMO_DIR = join(import.meta.dirname, '..', '..', 'data', 'locomo');
export const LOCOMO_MEMORIES = join(LOCOMO_DIR, 'memories.jsonl');
