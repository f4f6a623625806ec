/** A small knowledge graph for the reference memory server: a person, four things in their life, five relations. */
export const REFERENCE_GRAPH = {
  entities: [
    { name: 'Ada', entityType: 'person', observations: ['Works as a nurse on the night shift', 'Is training for a half marathon', 'Speaks some Portuguese'] },
    { name: 'Pepper', entityType: 'dog', observations: ['A rescue dog adopted last spring', 'Afraid of thunderstorms'] },
    { name: 'Lisbon', entityType: 'city', observations: ['Ada plans a trip there in October'] },
    { name: 'Blue Note Trio', entityType: 'band', observations: ['Plays jazz on weekends', 'Ada plays bass in it'] },
    { name: 'Old Mill Farmhouse', entityType: 'house', observations: ['Being renovated', 'Has a leaking roof'] },
  ],
  relations: [
    { from: 'Ada', to: 'Pepper', relationType: 'owns' },
    { from: 'Ada', to: 'Lisbon', relationType: 'plans to visit' },
    { from: 'Ada', to: 'Blue Note Trio', relationType: 'plays in' },
    { from: 'Ada', to: 'Old Mill Farmhouse', relationType: 'renovates' },
    { from: 'Pepper', to: 'Old Mill Farmhouse', relationType: 'lives at' },
  ],
};
