import { execFile } from 'node:child_process';
import { copyFile, readFile, rename, rm } from 'node:fs/promises';
import { EXIT } from '../enrol/exit-codes.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { downloadBundle, type EdgeAgentVersion, edgeAgentVersion } from './download-bundle.ts';
import { type UpgradeMarker, upgradeFiles } from './upgrade-files.ts';
import { isNewer } from './version-compare.ts';

export type UpgraderOptions = {
  /** The running bundle's path and version. */
  bundle: string;
  version: string;
  /** `http(s)://` base of the edge. */
  edge: string;
  token: string;
  stateDir: string;
  log: (line: string) => void;
  /** Stops the agent and ends the process with this code (75: the service starts the new one). */
  exit: (code: number) => void;
  /** A new agent that has not had a welcome by then is rolled back (default 120 s). */
  deadlineMs?: number;
  /** How often to ask the edge for its version besides each welcome (default 15 min). */
  checkIntervalMs?: number;
  /** How long the new bundle's self-check may take (default 60 s). */
  selfCheckTimeoutMs?: number;
  now?: () => number;
};

const readMarker = async (path: string): Promise<UpgradeMarker | null> => {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as UpgradeMarker;
  } catch {
    return null;
  }
};

/** Runs `node <file> self-check` with the hive token in its environment; resolves its version. */
function selfCheck(file: string, options: UpgraderOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [file, 'self-check', '--edge', options.edge],
      {
        env: { ...process.env, RBEE_TOKEN: options.token },
        timeout: options.selfCheckTimeoutMs ?? 60_000,
        maxBuffer: 64 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `self-check failed (${error.code ?? error.signal}): ${stderr.trim().slice(-500)}`,
            ),
          );
          return;
        }
        const match = /^rbee-agent (\S+) ok/m.exec(stdout);
        if (!match)
          reject(
            new Error(`self-check printed no "rbee-agent VERSION ok": ${stdout.slice(0, 200)}`),
          );
        else resolve(match[1]!);
      },
    );
  });
}

/**
 * Keeps a bundled agent at the edge's version. At each welcome (and every checkIntervalMs) it
 * asks `GET /agent/version`; a newer one is downloaded, its sha256 checked, started once as
 * `self-check`, then swapped in by rename (the old file kept as `.prev`) and the agent exits 75
 * for the service manager to start the new file. The new agent confirms at its first welcome;
 * without one within deadlineMs it puts `.prev` back and exits 75 again. A rolled-back sha256 is
 * not tried again.
 * @example const up = await startUpgrader({ bundle, version, edge, token, stateDir, log, exit });
 */
export async function startUpgrader(options: UpgraderOptions) {
  const files = upgradeFiles(options.bundle, options.stateDir);
  const now = options.now ?? Date.now;
  let busy = false;
  let done = false;
  // Downloads that failed their checks: not fetched again by this process.
  const failed = new Set<string>();
  let deadline: NodeJS.Timeout | undefined;

  const pending = await readMarker(files.pending);
  if (pending && pending.to === options.version) {
    options.log(
      `rbee agent: upgraded from ${pending.from} to ${pending.to}; confirming at the first welcome`,
    );
    deadline = setTimeout(() => {
      void (async () => {
        options.log(
          `rbee agent: upgrade to ${pending.to} did not connect within ${options.deadlineMs ?? 120_000} ms; restoring ${pending.from}`,
        );
        await rename(files.prev, files.bundle);
        await rename(files.pending, files.rolledBack);
        done = true;
        options.exit(EXIT.TEMPFAIL);
      })().catch((error: Error) => options.log(`rbee agent: rollback failed: ${error.message}`));
    }, options.deadlineMs ?? 120_000);
    deadline.unref();
  } else if (pending) {
    // A marker for another version: the rollback script ran, or a swap never finished.
    await rm(files.pending, { force: true });
  }

  const upgradeTo = async (target: EdgeAgentVersion) => {
    const refused = await readMarker(files.rolledBack);
    if (refused?.sha256 === target.sha256 || failed.has(target.sha256)) return;
    options.log(
      `rbee agent: the edge serves agent ${target.version} (this is ${options.version}); upgrading`,
    );
    try {
      await downloadBundle(options.edge, target, files.next);
      const checked = await selfCheck(files.next, options);
      if (checked !== target.version) {
        throw new Error(
          `the downloaded agent says it is ${checked}, the edge said ${target.version}`,
        );
      }
    } catch (error) {
      failed.add(target.sha256);
      throw error;
    }
    const marker: UpgradeMarker = {
      from: options.version,
      to: target.version,
      sha256: target.sha256,
      at: now(),
    };
    await writeFileAtomic(files.pending, `${JSON.stringify(marker)}\n`);
    await copyFile(options.bundle, files.prev);
    await rename(files.next, files.bundle);
    done = true;
    options.log(
      `rbee agent: agent ${target.version} installed at ${files.bundle}; restarting (exit 75)`,
    );
    options.exit(EXIT.TEMPFAIL);
  };

  const check = async () => {
    if (busy || done) return;
    busy = true;
    try {
      const target = await edgeAgentVersion(options.edge);
      if (target && isNewer(target.version, options.version)) await upgradeTo(target);
    } catch (error) {
      await rm(files.next, { force: true });
      options.log(`rbee agent: upgrade not done: ${(error as Error).message}`);
    } finally {
      busy = false;
    }
  };

  const timer = setInterval(() => void check(), options.checkIntervalMs ?? 15 * 60_000);
  timer.unref();

  return {
    /** Each welcome: confirms a fresh upgrade, then looks for a newer agent. */
    onWelcome() {
      if (deadline) {
        clearTimeout(deadline);
        deadline = undefined;
        void rm(files.pending, { force: true }).then(() =>
          options.log(`rbee agent: upgrade to ${options.version} confirmed`),
        );
      }
      void check();
    },
    stop() {
      clearInterval(timer);
      if (deadline) clearTimeout(deadline);
    },
  };
}
