import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Path → what an attack could change about it, for every entry under `dirs` (the dirs
 * themselves left out): type, mode, owner, and a file's size and sha256 or a link's target.
 * Never follows a link. Entries in `skip` (absolute paths) are left out with all below them.
 * Compare two snapshots with `toEqual`: a changed, added or removed entry shows by its path.
 * @example expect(snapshotTree([base], { skip: [root] })).toEqual(before)
 */
export function snapshotTree(
  dirs: string[],
  { skip = [] }: { skip?: string[] } = {},
): Map<string, string> {
  const out = new Map<string, string>();
  const skipped = new Set(skip);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (skipped.has(path)) continue;
      const info = lstatSync(path);
      const head = `${info.mode.toString(8)} ${info.uid}:${info.gid}`;
      if (info.isDirectory()) {
        out.set(path, `dir ${head}`);
        walk(path);
      } else if (info.isSymbolicLink()) {
        out.set(path, `link ${head} -> ${readlinkSync(path)}`);
      } else if (info.isFile()) {
        const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
        out.set(path, `file ${head} ${info.size} ${digest}`);
      } else {
        // A FIFO, socket or device: never opened (a FIFO would block the read).
        out.set(path, `special ${head} ${info.rdev}`);
      }
    }
  };
  for (const dir of dirs) walk(dir);
  return out;
}
