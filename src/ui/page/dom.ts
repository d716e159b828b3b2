// Builds the page's elements. Every value shown becomes a text node or an attribute value, never
// markup: data from a workflow cannot inject HTML.

export type Child = Node | string | number | null | undefined | false;

/** Attributes (set with setAttribute) and event listeners (`on` + event name, e.g. `onclick`). */
export type Props = Record<string, string | number | boolean | undefined | EventListener>;

/**
 * An element with the given attributes and children. `false`, `null` and `undefined` children
 * and attributes are left out; `true` sets an empty attribute.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children to `parent`, strings and numbers as text nodes. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A link the page follows itself (history.pushState), without a page load. */
export function navLink(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href, 'data-nav': true }, ...children);
}
