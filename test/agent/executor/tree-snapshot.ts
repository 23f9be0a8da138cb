import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** What the comparison looks at for one path of a package tree (owners are not compared). */
export type TreeEntry = {
  type: 'dir' | 'file' | 'symlink' | 'other';
  mode: string;
  target?: string;
  /** sha256 of the content; for gzip files, of the decompressed content. */
  content?: string;
  /** For gzip files: the header says no name and no mtime (`gzip -n`). */
  gzipNoName?: boolean;
  /** For ELF files and ar archives of ELF objects: which symbol sections are left. */
  elf?: { symtab: boolean; debug: boolean };
  /** Other paths that are hard links to the same file. */
  hardlinks?: string[];
};

/** Every path under `root`, relative, with its type, mode, link target and content. */
export function snapshotTree(root: string): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  const inodes = new Map<number, string[]>();
  const walk = (rel: string) => {
    const abs = rel === '' ? root : join(root, rel);
    const st = lstatSync(abs);
    const mode = (st.mode & 0o7777).toString(8);
    const key = rel === '' ? '.' : rel;
    if (st.isSymbolicLink()) {
      out[key] = { type: 'symlink', mode: 'link', target: readlinkSync(abs) };
    } else if (st.isDirectory()) {
      out[key] = { type: 'dir', mode };
      for (const name of readdirSync(abs).sort()) walk(rel === '' ? name : `${rel}/${name}`);
    } else if (st.isFile()) {
      out[key] = { type: 'file', mode, ...describeFile(abs) };
      if (st.nlink > 1) inodes.set(st.ino, [...(inodes.get(st.ino) ?? []), key]);
    } else out[key] = { type: 'other', mode };
  };
  walk('');
  for (const paths of inodes.values()) {
    for (const p of paths) out[p]!.hardlinks = paths.filter((q) => q !== p);
  }
  return out;
}

function describeFile(path: string): Partial<TreeEntry> {
  const data = readFileSync(path);
  const isElf = data.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  const isAr = data.subarray(0, 8).toString('latin1') === '!<arch>\n';
  if (isElf || isAr) {
    // Builds in two directories differ in embedded paths: compare what stripping left.
    const sections = execFileSync('readelf', ['-S', '-W', path], { encoding: 'utf8' });
    return { elf: { symtab: sections.includes('.symtab'), debug: sections.includes('.debug_') } };
  }
  if (data[0] === 0x1f && data[1] === 0x8b) {
    const flags = data[3]!;
    const mtime = data.readUInt32LE(4);
    return { content: sha256(gunzipSync(data)), gzipNoName: (flags & 0x08) === 0 && mtime === 0 };
  }
  return { content: sha256(data) };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** True when `path` exists. */
export function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
