/** One member of a tar archive: a folder when `data` is absent (its name ends in `/`). */
export type TarMember = { name: string; mtime: number; data?: Uint8Array };

const enc = new TextEncoder();

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** A ustar header for a member (names up to 100 bytes, owners root:root). */
function header(m: TarMember): Uint8Array {
  const h = new Uint8Array(512);
  const name = enc.encode(m.name);
  if (name.length > 100) throw new RangeError(`tar member name longer than 100 bytes: ${m.name}`);
  const put = (text: string, at: number) => h.set(enc.encode(text), at);
  h.set(name, 0);
  put(octal(m.data ? 0o644 : 0o755, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(m.data?.length ?? 0, 12), 124);
  put(octal(Math.floor(m.mtime), 12), 136);
  put('        ', 148);
  put(m.data ? '0' : '5', 156);
  put('ustar\0' + '00', 257);
  put('root', 265);
  put('root', 297);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** A POSIX ustar archive of the members, in the order given, ending with two zero blocks. */
export function tarArchive(members: TarMember[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const m of members) {
    parts.push(header(m));
    if (m.data) {
      parts.push(m.data);
      const pad = (512 - (m.data.length % 512)) % 512;
      if (pad) parts.push(new Uint8Array(pad));
    }
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
