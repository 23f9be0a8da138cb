import { join } from 'node:path';

/** Where an upgrade keeps its files, beside the bundle and in the state folder. */
export function upgradeFiles(bundle: string, stateDir: string) {
  return {
    bundle,
    /** The download, checked before it replaces the bundle (node runs only `.mjs` as a module). */
    next: `${bundle.replace(/\.mjs$/, '')}.next.mjs`,
    /** The bundle that ran before the upgrade, restored on a rollback. */
    prev: `${bundle}.prev`,
    /** Written before the swap, removed by the new agent's first welcome. */
    pending: join(stateDir, 'upgrade.pending'),
    /** The upgrade that was rolled back: not tried again for the same sha256. */
    rolledBack: join(stateDir, 'upgrade.rolled-back'),
  };
}

/** What `upgrade.pending` and `upgrade.rolled-back` hold. */
export type UpgradeMarker = {
  from: string;
  to: string;
  sha256: string;
  at: number;
  /** The `upgrade` job that made the swap: the agent that starts next reports its outcome. */
  job?: string;
};
