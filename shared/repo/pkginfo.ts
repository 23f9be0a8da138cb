/** A .PKGINFO read the way repo-add reads it: `key = value` lines, whitespace runs folded. */
export type Pkginfo = { single: Record<string, string>; multi: Record<string, string[]> };

const MULTI = new Set([
  'group',
  'license',
  'replaces',
  'depend',
  'conflict',
  'provides',
  'optdepend',
  'makedepend',
  'checkdepend',
  'backup',
]);

/** repo-add's db_write_entry loop: comments skipped, `IFS=' ='` split, whitespace folded. */
export function parsePkginfo(text: string): Pkginfo {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^[ =]*([^ =]+)[ =]*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!;
    const value = m[2]!.replace(/[ \t\n\r\f\v]+/g, ' ');
    if (MULTI.has(key)) multi[key] = [...(multi[key] ?? []), value];
    else single[key] = value;
  }
  return { single, multi };
}
