import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Folders of the state dir that only root reads: ledger, spool, manifests, install journal. */
export const PRIVATE_STATE_DIRS = ['jobs', 'spool', 'installed', 'journal'];

/**
 * Closes the agent's state folder to everyone but root: the folder itself 0711 (the build
 * user must traverse it to reach its workspace under `work/`, which is 0711 too, but may not
 * list it), the ledger, spool, manifests and journal 0700 with every file in them 0600, and the
 * files at the top (capabilities.json, agent.lock) 0600. Run at every start, so a state folder
 * made by an older agent is closed as well. Symlinks are never followed.
 * @example await secureStateDir('/var/lib/rbee/agent');
 */
export async function secureStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o711 });
  await chmod(stateDir, 0o711);
  for (const name of PRIVATE_STATE_DIRS) {
    await mkdir(join(stateDir, name), { recursive: true, mode: 0o700 });
    await closeTree(join(stateDir, name));
  }
  await mkdir(join(stateDir, 'work'), { recursive: true, mode: 0o711 });
  await chmod(join(stateDir, 'work'), 0o711);
  for (const name of await readdir(stateDir)) {
    const st = await lstat(join(stateDir, name));
    if (st.isFile()) await chmod(join(stateDir, name), 0o600);
  }
}

/** Folders 0700, files 0600, all the way down; symlinks are left alone. */
async function closeTree(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const st = await lstat(path);
    if (st.isDirectory()) await closeTree(path);
    else if (st.isFile() && (st.mode & 0o777) !== 0o600) await chmod(path, 0o600);
  }
}
