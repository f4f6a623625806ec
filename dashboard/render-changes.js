/**
 * What changed in the last regeneration, as `narrative_status` reports it: how many memories were
 * added, corrected, deleted and expired since the previous version, the newest of those added and
 * corrected, and the narrative's text with the words added and removed marked. User data only
 * ever reaches the page as text nodes.
 *
 * @param {{
 *   from_version: number, from_generated_at: string, to_version: number,
 *   memories: { added: number, updated: number, deleted: number, expired: number },
 *   added: { id: string, content: string }[], updated: { id: string, content: string }[],
 *   text: { change: 'same' | 'added' | 'removed', text: string }[] | null,
 * }} changes
 * @param {(iso: string) => string} formatDateTime
 * @returns {DocumentFragment}
 */
export function renderChanges(changes, formatDateTime) {
  const fragment = document.createDocumentFragment();
  const { added, updated, deleted, expired } = changes.memories;
  fragment.append(
    element(
      'p',
      `Since version ${changes.from_version} (${formatDateTime(changes.from_generated_at)}): ` +
        `${count(added, 'memory', 'memories')} added, ${updated} corrected, ${deleted} deleted, ${expired} expired.`,
      'changes-summary',
    ),
  );
  if (changes.added.length > 0) fragment.append(memoryList('Added', changes.added, added, 'changes-added'));
  if (changes.updated.length > 0) fragment.append(memoryList('Corrected', changes.updated, updated, 'changes-updated'));
  if (changes.text === null) {
    fragment.append(
      element(
        'p',
        'The previous text is no longer kept: a memory it was written from has since been deleted, corrected or has expired.',
        'changes-text-dropped',
        'muted',
      ),
    );
    return fragment;
  }
  const text = element('div', '', 'changes-text', 'changes-text');
  for (const part of changes.text) {
    if (part.change === 'same') text.append(part.text);
    else text.append(element(part.change === 'added' ? 'ins' : 'del', part.text));
  }
  const legend = element('p', '', undefined, 'muted');
  legend.append('Words ', element('ins', 'added'), ' and ', element('del', 'removed'), ' since the previous version:');
  fragment.append(legend, text);
  return fragment;
}

/** @param {{ id: string, content: string }[]} memories */
function memoryList(title, memories, total, testId) {
  const section = document.createElement('div');
  const more = total > memories.length ? ` (the newest ${memories.length} of ${total})` : '';
  section.append(element('h3', `${title}${more}`));
  const list = element('ul', '', testId);
  for (const memory of memories) list.append(element('li', memory.content));
  section.append(list);
  return section;
}

function count(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * @param {string} tag
 * @param {string} text
 * @param {string} [testId]
 * @param {string} [className]
 */
function element(tag, text, testId, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (testId) node.dataset.testid = testId;
  if (className) node.className = className;
  return node;
}
