import { lstat, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import {
  deleteJournal,
  finishJournal,
  type InstallJournal,
  type JournalMove,
  undoJournal,
  writeJournal,
} from './install-journal.ts';
import type { Manifest } from './manifest.ts';
import { pauseForTest } from './test-pause.ts';

/**
 * Moves files in and out of the install root from a plan written to the journal first: every
 * move is planned, the journal is fsynced, then the moves run; a failure (or, after a crash,
 * the next start) undoes them from the journal.
 */
export class Transaction {
  readonly #journal: InstallJournal;
  #n = 0;

  constructor(
    readonly journalDir: string,
    id: string,
    root: string,
    staging: string,
  ) {
    this.#journal = {
      v: 1,
      id,
      root,
      staging,
      phase: 'staging',
      dirs: [],
      moves: [],
      after: null,
      staleDirs: [],
    };
  }

  get staging(): string {
    return this.#journal.staging;
  }

  /** Records that the staging folder is about to exist: a crash now leaves only it to remove. */
  async open(): Promise<void> {
    await writeJournal(this.journalDir, this.#journal);
    await mkdir(this.staging, { mode: 0o700 });
    await mkdir(join(this.staging, 'old'), { mode: 0o700 });
  }

  /** Plans a folder to create (absolute, parents first). */
  createDir(dir: string) {
    this.#journal.dirs.push(dir);
  }

  /** Plans to put `staged` at `target`, keeping aside whatever is there. */
  place(staged: string, ino: number, target: string, replaces: boolean) {
    this.#journal.moves.push({ target, staged, ino, saved: replaces ? this.#saved() : null });
  }

  /** Plans to take whatever is at `target` away (kept until commit). */
  remove(target: string) {
    this.#journal.moves.push({ target, staged: null, saved: this.#saved() });
  }

  #saved() {
    return join(this.staging, 'old', String(this.#n++));
  }

  /** Folders planned, for the manifest. */
  get dirs(): string[] {
    return [...this.#journal.dirs];
  }

  /**
   * Writes the plan to the journal (fsynced) and runs it. `after` is the manifest the install
   * will record (null for an uninstall); `staleDirs` are removed at commit once empty.
   */
  async apply(after: Manifest | null, staleDirs: string[], upgrade: boolean): Promise<void> {
    this.#journal.phase = 'moving';
    this.#journal.after = after;
    this.#journal.staleDirs = staleDirs;
    await writeJournal(this.journalDir, this.#journal);
    for (const dir of this.#journal.dirs) await mkdir(dir, { mode: 0o755 });
    let moved = 0;
    for (const move of this.#journal.moves) {
      await runMove(move);
      await pauseForTest(++moved, upgrade);
    }
  }

  async rollback(): Promise<void> {
    await undoJournal(this.#journal);
    await deleteJournal(this.journalDir, this.#journal.id);
  }

  async commit(): Promise<void> {
    await finishJournal(this.#journal);
    await deleteJournal(this.journalDir, this.#journal.id);
  }
}

async function runMove(move: JournalMove) {
  if (move.saved) await rename(move.target, move.saved);
  if (move.staged) await rename(move.staged, move.target);
}

/** lstat, or null when nothing (or a file where a folder should be) is on the path. */
export async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}
