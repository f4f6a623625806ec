import type { NarrativeAssessment } from '../engine/narrative-policy.js';

/** Why a narrative in this state is (re)written, in words for a log line or a plan: `no_narrative`, `expired`… */
export function whyGenerate(assessment: NarrativeAssessment, force: boolean): string {
  switch (assessment.state) {
    case 'missing':
      return assessment.reason === 'none' ? 'no_narrative' : 'too_old';
    case 'stale':
      return assessment.reasons.join(',');
    case 'fresh':
      return force ? 'forced' : 'fresh';
  }
}
