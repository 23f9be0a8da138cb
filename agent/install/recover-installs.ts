import { join } from 'node:path';
import { deleteJournal, finishJournal, readJournals, undoJournal } from './install-journal.ts';
import { readManifest } from './manifest.ts';

/** What recovery did with one journal an earlier agent left. */
export type Recovered = { id: string; action: 'rolled-back' | 'rolled-forward' };

/**
 * Finishes or undoes every install the previous agent left half-way (`<state>/journal/`),
 * before this one takes jobs. The manifest on disk is the commit point: if it is the one the
 * journal was about to record, the install is finished (old files kept aside are removed);
 * otherwise every move is undone and the root holds the previous version again.
 * @example for (const r of await recoverInstalls(stateDir)) log(`${r.id}: ${r.action}`);
 */
export async function recoverInstalls(stateDir: string): Promise<Recovered[]> {
  const dir = join(stateDir, 'journal');
  const out: Recovered[] = [];
  for (const journal of await readJournals(dir)) {
    const current = await readManifest(stateDir, journal.id);
    const committed =
      journal.phase === 'moving' &&
      (journal.after === null
        ? current === null
        : current !== null &&
          current.version === journal.after.version &&
          current.installed_at === journal.after.installed_at);
    if (committed) await finishJournal(journal);
    else await undoJournal(journal);
    await deleteJournal(dir, journal.id);
    out.push({ id: journal.id, action: committed ? 'rolled-forward' : 'rolled-back' });
  }
  return out;
}
