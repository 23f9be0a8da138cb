import type { KvKey, KvKeyPart } from './kv-like.ts';

/**
 * Deno KV keys as Redis strings whose byte order (what ZRANGEBYLEX compares) is Deno KV's key
 * order: each part is a type tag in Deno's type order (bytes < string < number), then its
 * content. Strings are escaped so the part terminator \x00 sorts below every character; numbers
 * are the 8 bytes of an IEEE double made order-preserving, as 16 hex digits. Every character
 * outside a string's own text is ASCII below \x7f, so `encodeKey(prefix) + '\x7f'` is above
 * every key under the prefix.
 * @example encodeKey(['log', 'job_1', 3]) < encodeKey(['log', 'job_1', 3, 1]) // true
 */
export function encodeKey(key: KvKey): string {
  let out = '';
  for (const part of key) out += encodePart(part);
  return out;
}

const TAG_BYTES = '\x01';
const TAG_STRING = '\x02';
const TAG_NUMBER = '\x21';
/** Above every tag: the exclusive end of a prefix range. */
export const PREFIX_END = '\x7f';

function encodePart(part: KvKeyPart): string {
  if (typeof part === 'string') {
    return `${TAG_STRING}${part.replaceAll('\x01', '\x01\x02').replaceAll('\x00', '\x01\x01')}\x00`;
  }
  if (typeof part === 'number') return TAG_NUMBER + orderedDouble(part);
  if (part instanceof Uint8Array) {
    let hex = '';
    for (const b of part) hex += b.toString(16).padStart(2, '0');
    return `${TAG_BYTES}${hex}\x00`;
  }
  throw new TypeError(`Redis key parts must be strings, numbers or bytes, got ${typeof part}`);
}

function orderedDouble(n: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  // Positive: flip the sign bit; negative: flip every bit.
  const neg = hi >>> 31 === 1;
  const h = neg ? ~hi >>> 0 : (hi ^ 0x80000000) >>> 0;
  const l = neg ? ~lo >>> 0 : lo;
  return h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0');
}

function fromOrderedDouble(hex: string): number {
  let hi = Number.parseInt(hex.slice(0, 8), 16);
  let lo = Number.parseInt(hex.slice(8, 16), 16);
  if (hi >>> 31 === 1) hi = (hi ^ 0x80000000) >>> 0;
  else {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  }
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, hi);
  view.setUint32(4, lo);
  return view.getFloat64(0);
}

/** The key an `encodeKey` string stands for. */
export function decodeKey(text: string): KvKeyPart[] {
  const parts: KvKeyPart[] = [];
  let i = 0;
  while (i < text.length) {
    const tag = text[i++];
    if (tag === TAG_NUMBER) {
      parts.push(fromOrderedDouble(text.slice(i, i + 16)));
      i += 16;
    } else if (tag === TAG_STRING) {
      let s = '';
      for (;;) {
        const c = text[i++];
        if (c === undefined) throw new Error('decodeKey: unterminated string part');
        if (c === '\x00') break;
        if (c === '\x01') s += text[i++] === '\x01' ? '\x00' : '\x01';
        else s += c;
      }
      parts.push(s);
    } else if (tag === TAG_BYTES) {
      const end = text.indexOf('\x00', i);
      const hex = text.slice(i, end);
      const bytes = new Uint8Array(hex.length / 2);
      for (let k = 0; k < bytes.length; k++)
        bytes[k] = Number.parseInt(hex.slice(2 * k, 2 * k + 2), 16);
      parts.push(bytes);
      i = end + 1;
    } else {
      throw new Error(`decodeKey: unknown part tag ${JSON.stringify(tag)}`);
    }
  }
  return parts;
}
