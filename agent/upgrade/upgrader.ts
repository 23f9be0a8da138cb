import { execFile } from 'node:child_process';
import { copyFile, readFile, rename, rm } from 'node:fs/promises';
import type { JobSpec } from '../../shared/protocol/index.ts';
import { EXIT } from '../enrol/exit-codes.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { runStep, StepError, say } from '../install/step-runner.ts';
import type { JobContext, JobResult, ResumeContext } from '../jobs/job-pipeline.ts';
import { downloadBundle } from './download-bundle.ts';
import { type UpgradeMarker, upgradeFiles } from './upgrade-files.ts';

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

const failed = (step: string, message: string): JobResult => ({
  outcome: 'failed',
  error: { step, message },
});

/**
 * Replaces a bundled agent with the one an `upgrade` job names. The job downloads the edge's
 * file, checks its sha256 against the job's, starts it once as `self-check`, then swaps it in
 * by rename (the old file kept as `.prev`, a marker naming the job in the state folder) and the
 * agent exits 75 for the service manager to start the new file. The job is still open then: the
 * new agent reports it succeeded at its first welcome; one that gets no welcome within
 * deadlineMs puts `.prev` back and exits 75 again (a new file that cannot even start is put back
 * by the unit's ExecStopPost script, rollback-script.ts), and the old agent reports the job
 * failed, saying which version it restored.
 * @example const up = await startUpgrader({ bundle, version, edge, token, stateDir, log, exit });
 */
export async function startUpgrader(options: UpgraderOptions) {
  const files = upgradeFiles(options.bundle, options.stateDir);
  const now = options.now ?? Date.now;
  let deadline: NodeJS.Timeout | undefined;
  let confirm: () => void = () => {};
  const confirmed = new Promise<JobResult>((resolve) => {
    confirm = () => resolve({ outcome: 'succeeded' });
  });

  const pending = await readMarker(files.pending);
  const rolledBack = await readMarker(files.rolledBack);
  const fresh = pending !== null && pending.to === options.version;
  if (fresh) {
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
        options.exit(EXIT.TEMPFAIL);
      })().catch((error: Error) => options.log(`rbee agent: rollback failed: ${error.message}`));
    }, options.deadlineMs ?? 120_000);
    deadline.unref();
  } else if (pending) {
    // A marker for another version: a swap that never finished.
    await rm(files.pending, { force: true });
  }

  /** The upgrade job itself: download, self-check, swap, exit 75; it ends in the next agent. */
  async function run(spec: JobSpec, ctx: JobContext): Promise<JobResult> {
    const target = spec.agent;
    if (spec.kind !== 'upgrade' || !target) {
      return failed('verify', 'an upgrade job must name the agent file (agent.version, sha256)');
    }
    if (spec.expires_at !== undefined && spec.expires_at < now()) {
      return failed(
        'verify',
        `the upgrade job expired at ${new Date(spec.expires_at).toISOString()}`,
      );
    }
    if (target.version === options.version) {
      await say(ctx, `rbee-agent ${options.version} already runs here: nothing to do`);
      return { outcome: 'succeeded' };
    }
    try {
      await runStep(ctx, 'download', `rbee-agent ${target.version}`, async () => {
        await downloadBundle(options.edge, target, files.next);
        return { value: undefined, note: `sha256 ${target.sha256} checked` };
      });
      await runStep(ctx, 'self-check', undefined, async () => {
        const checked = await selfCheck(files.next, options);
        if (checked !== target.version) {
          throw new Error(
            `the downloaded agent says it is ${checked}, the job said ${target.version}`,
          );
        }
        return { value: undefined, note: `rbee-agent ${checked} ok` };
      });
      await runStep(ctx, 'swap', `${options.version} → ${target.version}`, async () => {
        const marker: UpgradeMarker = {
          from: options.version,
          to: target.version,
          sha256: target.sha256,
          at: now(),
          job: spec.id,
        };
        await writeFileAtomic(files.pending, `${JSON.stringify(marker)}\n`);
        await copyFile(options.bundle, files.prev);
        await rename(files.next, files.bundle);
        return { value: undefined };
      });
    } catch (error) {
      await rm(files.next, { force: true });
      if (error instanceof StepError) return failed(error.step, error.message);
      throw error;
    }
    ctx.signal.throwIfAborted();
    await ctx.emitStep({ step: 'restart', phase: 'start', note: `rbee-agent ${target.version}` });
    await say(ctx, `agent ${target.version} installed at ${files.bundle}; restarting (exit 75)`);
    options.log(
      `rbee agent: agent ${target.version} installed at ${files.bundle}; restarting (exit 75)`,
    );
    options.exit(EXIT.TEMPFAIL);
    // The agent stops now: this job stays open in the ledger for the next agent to report.
    await new Promise((_, reject) => {
      if (ctx.signal.aborted) reject(ctx.signal.reason);
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
    });
    throw new Error('unreachable');
  }

  return {
    run,
    /**
     * An upgrade job that was open when the last agent stopped: this agent finishes it. Null
     * when the job is not one this upgrader knows (it then fails as an interrupted job).
     */
    resume(spec: JobSpec, ctx: ResumeContext): Promise<JobResult> | null {
      if (spec.kind !== 'upgrade') return null;
      const restart = async (ok: boolean, note: string) => {
        await ctx.emitStep({ step: 'restart', phase: 'end', ok, note });
      };
      if (fresh && pending.job === spec.id) {
        return confirmed.then(async (result) => {
          await restart(true, `rbee-agent ${options.version} connected: upgrade confirmed`);
          return result;
        });
      }
      if (rolledBack?.job === spec.id) {
        const why = `agent ${rolledBack.to} did not connect after the swap; agent ${rolledBack.from} was put back`;
        return restart(false, why).then(() => failed('restart', why));
      }
      if (pending?.job === spec.id) {
        const why = `the swap to agent ${pending.to} did not finish; ${options.version} stayed`;
        return restart(false, why).then(() => failed('swap', why));
      }
      return null;
    },
    /** Each welcome: a fresh upgrade is confirmed (and its job reported succeeded). */
    onWelcome() {
      if (!deadline) return;
      clearTimeout(deadline);
      deadline = undefined;
      void rm(files.pending, { force: true }).then(() => {
        options.log(`rbee agent: upgrade to ${options.version} confirmed`);
        confirm();
      });
    },
    stop() {
      if (deadline) clearTimeout(deadline);
    },
  };
}
