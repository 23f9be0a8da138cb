import { chmod, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A fresh, empty workspace the unprivileged build user can reach (0755). */
export async function freshWorkspace(workspace: string): Promise<void> {
  await rm(workspace, { recursive: true, force: true });
  await mkdir(workspace, { recursive: true, mode: 0o755 });
  await chmod(workspace, 0o755);
}

/**
 * Deletes kept workspaces of failed jobs (those holding `mark`) whose mark is older than
 * `keepMs`, sweeping `<state>/work/` at the start of each job so no timer outlives the agent.
 * Workspaces of running jobs carry no mark and are never touched. Returns the folders removed.
 */
export async function sweepWorkspaces(
  workspace: string,
  keepMs: number,
  mark: string,
  now = Date.now(),
): Promise<string[]> {
  const parent = dirname(workspace);
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return removed;
  }
  for (const name of names) {
    const dir = join(parent, name);
    if (dir === workspace) continue;
    // lstat: the mark sits in a folder the build owned; a symlink there is aged, not followed.
    const st = await lstat(join(dir, mark)).catch(() => null);
    if (st && now - st.mtimeMs >= keepMs) {
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}
