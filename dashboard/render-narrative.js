/**
 * Turns a narrative's Markdown-ish text into DOM nodes: `#`-headings become headings, `-`/`*`
 * lines become a list, other runs of lines become paragraphs, `**bold**` becomes <strong>.
 * Everything else is text: the narrative is built from user data, so it only ever reaches the
 * page through text nodes, never as HTML.
 *
 * @param {string} text
 * @returns {DocumentFragment}
 */
export function renderNarrative(text) {
  const fragment = document.createDocumentFragment();
  /** @type {string[]} */
  let paragraph = [];
  /** @type {HTMLUListElement | null} */
  let list = null;

  const flush = () => {
    if (paragraph.length > 0) fragment.append(element('p', paragraph.join(' ')));
    paragraph = [];
    list = null;
  };

  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trim();
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^[-*•]\s+(.*)$/.exec(line);
    if (line === '') {
      flush();
    } else if (heading) {
      flush();
      // The card's own title is the h1; the narrative's sections sit under it.
      const level = Math.min(6, Math.max(2, heading[1].length + 1));
      fragment.append(element(`h${level}`, heading[2].replace(/\s+#+$/, '')));
    } else if (item) {
      if (paragraph.length > 0) flush();
      if (!list) {
        list = document.createElement('ul');
        fragment.append(list);
      }
      list.append(element('li', item[1]));
    } else {
      list = null;
      paragraph.push(line);
    }
  }
  flush();
  return fragment;
}

/** An element whose content is `text`, with `**bold**` spans as <strong>; never parsed as HTML. */
function element(tag, text) {
  const node = document.createElement(tag);
  const parts = text.split(/\*\*(.+?)\*\*/g);
  parts.forEach((part, index) => {
    if (part === '') return;
    if (index % 2 === 1) {
      const strong = document.createElement('strong');
      strong.textContent = part;
      node.append(strong);
    } else {
      node.append(document.createTextNode(part));
    }
  });
  return node;
}
