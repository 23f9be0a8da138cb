import type { PackageFile } from './package-record.ts';
import { parsePkginfo } from './pkginfo.ts';
import { tarArchive } from './tar.ts';

/** repo-add's format_entry: nothing for an empty field, else `%NAME%`, the values, a blank line. */
function entry(field: string, values: (string | undefined)[]): string {
  if (!values[0]) return '';
  return `%${field}%\n${values.join('\n')}\n\n`;
}

/** The `desc` file repo-add writes for one package file, field for field. */
export function descEntry(file: PackageFile): { dir: string; desc: string } {
  const { single: s, multi: m } = parsePkginfo(file.pkginfo);
  const desc = [
    entry('FILENAME', [file.filename]),
    entry('NAME', [s.pkgname]),
    entry('BASE', [s.pkgbase]),
    entry('VERSION', [s.pkgver]),
    entry('DESC', [s.pkgdesc]),
    entry('GROUPS', m.group ?? []),
    entry('CSIZE', [String(file.size)]),
    entry('ISIZE', [s.size]),
    entry('MD5SUM', [file.md5]),
    entry('SHA256SUM', [file.sha256]),
    entry('URL', [s.url]),
    entry('LICENSE', m.license ?? []),
    entry('ARCH', [s.arch]),
    entry('BUILDDATE', [s.builddate]),
    entry('PACKAGER', [s.packager]),
    entry('REPLACES', m.replaces ?? []),
    entry('CONFLICTS', m.conflict ?? []),
    entry('PROVIDES', m.provides ?? []),
    entry('DEPENDS', m.depend ?? []),
    entry('OPTDEPENDS', m.optdepend ?? []),
    entry('MAKEDEPENDS', m.makedepend ?? []),
    entry('CHECKDEPENDS', m.checkdepend ?? []),
  ].join('');
  return { dir: `${s.pkgname}-${s.pkgver}`, desc };
}

/**
 * A pacman sync database (`<repo>.db`, a gzipped tar of `<name>-<version>/desc`) for these
 * package files, as `repo-add` makes it. A name present twice keeps the last file given.
 * @example const db = await repoDb(files, 1700000000); // serve as /repo/x86_64/rbee.db
 */
export async function repoDb(files: PackageFile[], mtime: number): Promise<Uint8Array> {
  const byName = new Map<string, { dir: string; desc: string }>();
  for (const f of files) {
    byName.set(parsePkginfo(f.pkginfo).single.pkgname ?? f.pkgname, descEntry(f));
  }
  const entries = [...byName.values()].sort((a, b) => (a.dir < b.dir ? -1 : 1));
  const tar = tarArchive(
    entries.flatMap((e) => [
      { name: `${e.dir}/`, mtime },
      { name: `${e.dir}/desc`, mtime, data: new TextEncoder().encode(e.desc) },
    ]),
  );
  const gz = new Blob([tar as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(gz).arrayBuffer());
}
