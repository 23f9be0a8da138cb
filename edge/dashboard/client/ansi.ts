/** CSI sequences (SGR and the rest) and OSC sequences, the escapes a build log may hold. */
const ESC = /\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g;

/** The line's text without escape sequences (what search matches against). */
export const stripAnsi = (s: string) => (s.indexOf('\x1b') < 0 ? s : s.replace(ESC, ''));

/** The colour of xterm-256 colour n; null for 0–15, which use the theme's classes. */
export function rgb256(n: number): string | null {
  if (n < 16) return null;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const k = n - 16;
  const c = (x: number) => (x ? 55 + x * 40 : 0);
  return `rgb(${c(Math.floor(k / 36))},${c(Math.floor(k / 6) % 6)},${c(k % 6)})`;
}

/** A colour: a theme index 0–15 (a class), a CSS colour, or null for the default. */
type Colour = number | string | null;
type Style = { fg: Colour; bg: Colour; b: number; d: number; i: number; u: number };
const plain = (): Style => ({ fg: null, bg: null, b: 0, d: 0, i: 0, u: 0 });

/** Applies one SGR sequence's parameters to the style, in order. */
function applySgr(st: Style, params: number[]): Style {
  let s = st;
  for (let i = 0; i < params.length; i++) {
    const c = params[i]!;
    if (c === 0) s = plain();
    else if (c === 1) s.b = 1;
    else if (c === 2) s.d = 1;
    else if (c === 3) s.i = 1;
    else if (c === 4) s.u = 1;
    else if (c === 22) s.b = s.d = 0;
    else if (c === 23) s.i = 0;
    else if (c === 24) s.u = 0;
    else if (c >= 30 && c <= 37) s.fg = c - 30;
    else if (c >= 90 && c <= 97) s.fg = c - 82;
    else if (c === 39) s.fg = null;
    else if (c >= 40 && c <= 47) s.bg = c - 40;
    else if (c >= 100 && c <= 107) s.bg = c - 92;
    else if (c === 49) s.bg = null;
    else if ((c === 38 || c === 48) && params[i + 1] === 5) {
      const n = params[i + 2] || 0;
      const v = n < 16 ? n : rgb256(n);
      if (c === 38) s.fg = v;
      else s.bg = v;
      i += 2;
    } else if ((c === 38 || c === 48) && params[i + 1] === 2) {
      const v = `rgb(${params[i + 2] || 0},${params[i + 3] || 0},${params[i + 4] || 0})`;
      if (c === 38) s.fg = v;
      else s.bg = v;
      i += 4;
    }
  }
  return s;
}

/**
 * Fills el with the line's text, SGR sequences turned into styled spans; the rest dropped.
 * A carriage return keeps only what was written after it (a progress bar's last state).
 */
export function renderAnsi(el: HTMLElement, line: string) {
  let text = line;
  const cr = text.lastIndexOf('\r');
  if (cr >= 0 && cr < text.length - 1) text = text.slice(cr + 1);
  if (text.indexOf('\x1b') < 0) {
    el.append(text);
    return;
  }
  let st = plain();
  let at = 0;
  const emit = (s: string) => {
    if (!s) return;
    if (st.fg === null && st.bg === null && !st.b && !st.d && !st.i && !st.u) {
      el.append(s);
      return;
    }
    const span = document.createElement('span');
    const cls: string[] = [];
    if (typeof st.fg === 'number') cls.push(`f${st.fg}`);
    else if (st.fg) span.style.color = st.fg;
    if (typeof st.bg === 'number') cls.push(`b${st.bg}`);
    else if (st.bg) span.style.background = st.bg;
    if (st.b) cls.push('a-b');
    if (st.d) cls.push('a-d');
    if (st.i) cls.push('a-i');
    if (st.u) cls.push('a-u');
    span.className = cls.join(' ');
    span.textContent = s;
    el.append(span);
  };
  ESC.lastIndex = 0;
  for (let m = ESC.exec(text); m; m = ESC.exec(text)) {
    emit(text.slice(at, m.index));
    at = ESC.lastIndex;
    if (m[2] !== 'm') continue;
    st = applySgr(
      st,
      (m[1] || '0').split(';').map((x) => Number(x) || 0),
    );
  }
  emit(text.slice(at));
}
