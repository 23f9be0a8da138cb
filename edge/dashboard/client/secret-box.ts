import { h } from './dom.ts';

/**
 * A secret shown once, with a Copy button (the Clipboard API, falling back to selecting the
 * text where the page is not a secure context, as on plain http to a LAN address).
 */
export function secretBox(label: string, text: string, id: string) {
  const code = h('code', { id }, text);
  const copy = h('button', { type: 'button', class: 'copy', dataset: { copies: id } }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      copy.textContent = 'Copied';
    } catch {
      getSelection()?.selectAllChildren(code);
      copy.textContent = 'Selected: press Ctrl+C';
    }
  });
  return h('div', { class: 'secret' }, h('strong', {}, label), code, copy);
}
