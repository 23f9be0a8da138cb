import { lstat, mkdir, open, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import type { Manifest } from './manifest.ts';

/** One planned move: what was at `target` goes to `saved`, then `staged` goes to `target`. */
export type JournalMove = {
  target: string;
  /** The new file, in the staging folder; null when the move only takes the old one away. */
  staged: string | null;
  /** The staged file's inode, so a rollback removes only the file it placed. */
  ino?: number;
  /** Where the old file is kept until commit; null when nothing was at `target`. */
  saved: string | null;
};

/**
 * `<state>/journal/<worker>.json`: an install or uninstall in flight, on disk (fsynced) before
 * anything in the root moves, so an agent that died mid-way can finish or undo it at its next start.
 */
export type InstallJournal = {
  v: 1;
  id: string;
  root: string;
  staging: string;
  /** `staging`: only the staging folder exists; `moving`: the root may be half-way. */
  phase: 'staging' | 'moving';
  /** Folders this install creates (absolute), parents first. */
  dirs: string[];
  moves: JournalMove[];
  /** The manifest once final (null for an uninstall): the one on disk decides forward or back. */
  after: Manifest | null;
  /** Folders (relative to the root) of the previous version to remove once empty, at commit. */
  staleDirs: string[];
};

export const journalFile = (dir: string, id: string) => join(dir, `${id}.json`);

/** Writes the journal whole and durably (file and folder fsynced), readable by root only. */
export async function writeJournal(dir: string, journal: InstallJournal): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(journalFile(dir, journal.id), `${JSON.stringify(journal)}\n`);
}

/** Removes the journal once its install is committed or rolled back, durably. */
export async function deleteJournal(dir: string, id: string): Promise<void> {
  await rm(journalFile(dir, id), { force: true });
  const folder = await open(dir, 'r').catch(() => null);
  if (!folder) return;
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Every journal left in `dir` (an agent that died during an install left it). */
export async function readJournals(dir: string): Promise<InstallJournal[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: InstallJournal[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    out.push(JSON.parse(await readFile(join(dir, name), 'utf8')) as InstallJournal);
  }
  return out;
}

const exists = (path: string) =>
  lstat(path).then(
    (st) => st,
    () => null,
  );

/**
 * Undoes whatever part of the journal's moves happened, judged from the disk alone, so it is
 * right after a crash at any point and safe to run twice: a placed file is removed only if it
 * is the very inode that was staged, a saved file goes back, created folders go once empty.
 */
export async function undoJournal(journal: InstallJournal): Promise<void> {
  if (journal.phase === 'moving') {
    for (const move of [...journal.moves].reverse()) {
      if (move.staged && !(await exists(move.staged))) {
        const st = await exists(move.target);
        if (st && st.ino === move.ino) await rm(move.target, { force: true });
      }
      if (move.saved && (await exists(move.saved)) && !(await exists(move.target))) {
        await rename(move.saved, move.target);
      }
    }
    for (const dir of [...journal.dirs].reverse()) await rmdir(dir).catch(() => {});
  }
  await rm(journal.staging, { recursive: true, force: true });
}

/** Finishes a committed journal: the old files kept aside go, and emptied folders with them. */
export async function finishJournal(journal: InstallJournal): Promise<void> {
  await rm(journal.staging, { recursive: true, force: true });
  await removeEmptyDirs(journal.root, journal.staleDirs);
}

/** Removes folders that are now empty, deepest first; folders that still hold files stay. */
export async function removeEmptyDirs(root: string, dirs: string[]) {
  const sorted = [...dirs].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const dir of sorted) await rmdir(join(root, dir)).catch(() => {});
}
