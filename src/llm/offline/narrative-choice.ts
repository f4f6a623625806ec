import type { SectionId } from './narrative-sections.js';
import type { PreparedMemory } from './prepared-memory.js';

/** A memory chosen for the narrative and the section it is written in, in the order it was chosen. */
export interface NarrativeChoice {
  memory: PreparedMemory;
  section: SectionId;
}
