/** The narrative's sections, in the order they are written. */
export const NARRATIVE_SECTIONS = [
  { id: 'identity', heading: 'Who they are' },
  { id: 'people', heading: 'People in their life' },
  { id: 'work', heading: 'Work and projects' },
  { id: 'interests', heading: 'Interests and activities' },
  { id: 'recent', heading: 'Latest events' },
  { id: 'goals', heading: 'Goals and plans' },
] as const;

export type SectionId = (typeof NARRATIVE_SECTIONS)[number]['id'];
