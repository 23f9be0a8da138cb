/** An element the page is known to have; a missing one is a bug in the page, so it throws. */
export function $<E extends Element = HTMLElement>(
  selector: string,
  root: ParentNode = document,
): E {
  const el = root.querySelector<E>(selector);
  if (!el) throw new Error(`the page has no element ${selector}`);
  return el;
}

/** An element the page may or may not have. */
export const maybe$ = <E extends Element = HTMLElement>(
  selector: string,
  root: ParentNode = document,
): E | null => root.querySelector<E>(selector);

type AttrValue = string | number | boolean | null | undefined;
type Attrs = Record<string, AttrValue | EventListener | Record<string, string>>;
/** What h() appends: text is always text, never HTML; null, undefined and false are skipped. */
export type Kid = Node | string | number | null | undefined | false | Kid[];

/**
 * Makes an element. Attributes starting with `on` become listeners, `dataset` fills data-*.
 * @example h('td', { class: 'x' }, 'text', child)
 */
export function h(tag: string, attrs: Attrs | null, ...kids: Kid[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset' && typeof v === 'object') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of (kids as unknown[]).flat(Infinity) as Kid[]) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

/** A state badge: `timed_out` reads "timed out", the class keeps the raw state for colours. */
export const badge = (state: string) =>
  h('span', { class: `badge ${state}` }, state.replace(/_/g, ' '));
