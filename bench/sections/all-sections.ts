import { backfillSection } from './backfill-section.js';
import { cacheHitSection } from './cache-hit-section.js';
import { costSection } from './cost-section.js';
import { missPathSection } from './miss-path-section.js';
import { referenceServerSection } from './reference-server-section.js';
import { searchSection } from './search-section.js';
import type { Section } from './section.js';
import { sharingSection } from './sharing-section.js';
import { throughputSection } from './throughput-section.js';
import { tokensSection } from './tokens-section.js';
import { workersSection } from './workers-section.js';

/** Every section, in the order the issue lists them and the table shows them. */
export const ALL_SECTIONS: readonly Section[] = [
  cacheHitSection,
  referenceServerSection,
  throughputSection,
  missPathSection,
  costSection,
  backfillSection,
  searchSection,
  tokensSection,
  sharingSection,
  workersSection,
];
