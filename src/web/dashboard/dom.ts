/** Small DOM helpers: the dashboard uses no UI framework. */

type Child = Node | string | number | null | undefined | false;

/** Creates an element with attributes (strings) or event handlers (`on…` functions) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | EventListener | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value);
  }
  for (const child of children)
    if (child !== null && child !== undefined && child !== false)
      element.append(typeof child === 'number' ? String(child) : child);
  return element;
}

/** A titled panel. */
export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', {}, h('h2', {}, title), ...children);
}

/** A fraction as a percentage with one decimal, or a dash. */
export function pct(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? '–' : `${(value * 100).toFixed(1)} %`;
}

/** A paragraph saying what went wrong, for a view that could not load. */
export function failure(error: unknown): HTMLElement {
  return h('p', { class: 'error' }, error instanceof Error ? error.message : String(error));
}

/** A table from a header row and rows of cells. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly Child[]>): HTMLTableElement {
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...headers.map((name) => h('th', {}, name)))),
    h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((cell) => h('td', {}, cell))))),
  );
}
