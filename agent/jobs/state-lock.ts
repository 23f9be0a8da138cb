import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';

/** Another live agent holds the state folder. */
export class StateLockError extends Error {
  override name = 'StateLockError';
}

/** What `flock -E` exits with when the lock stays taken for the whole wait. */
const BUSY = 73;

/**
 * The holder, one small process: a shell opens the lock file as fd 9, flock(1) locks that fd
 * (the lock belongs to the open file, not to flock) and exits, then the shell ignores the
 * signals a terminal or a service stop sends and becomes `cat`, which keeps fd 9 and lives until
 * its stdin (a pipe from the agent) ends. The kernel closes that pipe when the agent dies by any
 * means, kill -9 included, and the lock goes with it. Exit 127: no flock here.
 */
const HOLD = `exec 9>>"$1" || exit 71
flock --exclusive --wait "$2" --conflict-exit-code ${BUSY} 9 || exit $?
trap '' INT TERM HUP
echo locked
exec cat >/dev/null`;

/**
 * The same holder in Perl, for a machine without util-linux (macOS): perl's flock is flock(2),
 * so both holders exclude each other.
 */
const PERL_HOLD = [
  'use Fcntl ":flock";',
  '$SIG{INT} = $SIG{TERM} = $SIG{HUP} = "IGNORE";',
  'open(my $f, "<", $ARGV[0]) or die "cannot open $ARGV[0]: $!\\n";',
  'my $until = time + $ARGV[1];',
  'until (flock($f, LOCK_EX | LOCK_NB)) { exit 73 if time >= $until; select(undef, undef, undef, 0.1); }',
  '$| = 1; print "locked\\n"; 1 while <STDIN>;',
].join(' ');

export type StateLockOptions = {
  /** How long to wait for a lock an agent that just died may still hold (default 3 s). */
  waitMs?: number;
  /** The shell that runs flock(1) (util-linux), and perl where there is no flock. */
  shell?: string;
  perl?: string;
};

/**
 * Takes `<dir>/agent.lock` by flock(2) for as long as this process lives: two agents on one
 * state folder would run each other's jobs and interleave one spool. Node has no flock, so a
 * child process holds it (flock(1) from util-linux, or perl where that is missing), tied to this
 * process by a pipe. A PID in a file proves nothing after a reboot or a kill -9 (another process
 * may have that number); a kernel lock does. The PID is still written there, for people.
 * @example
 * const lock = await lockStateDir('/var/lib/rbee/agent'); // throws StateLockError if taken
 * await lock.release();
 */
export async function lockStateDir(
  dir: string,
  options: StateLockOptions = {},
): Promise<{ release(): Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'agent.lock');
  await (await open(path, 'a', 0o600)).close();
  const waitS = Math.max(0, (options.waitMs ?? 3000) / 1000);
  // Its own process group: a Ctrl-C for the agent's terminal does not drop the lock early.
  const start = (cmd: string, args: string[]) =>
    spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let child = start(options.shell ?? 'sh', ['-c', HOLD, 'rbee-agent-lock', path, String(waitS)]);
  try {
    await held(child, dir, path);
  } catch (error) {
    if (!(error instanceof MissingHolder)) throw error;
    child = start(options.perl ?? 'perl', ['-e', PERL_HOLD, path, String(waitS)]);
    try {
      await held(child, dir, path);
    } catch (again) {
      if (!(again instanceof MissingHolder)) throw again;
      throw new StateLockError(
        `Cannot lock state folder ${dir}: neither flock (util-linux) nor perl is on PATH`,
      );
    }
  }
  const file = await open(path, 'r+');
  await file.truncate(0);
  await file.write(`${process.pid}\n`, 0);
  await file.close();
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return {
    async release() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // Held again while it ends: with nothing else left the process would exit before this.
      child.ref();
      child.stdin?.end();
      await gone;
    },
  };
}

/** The holder's command is not installed: the next one is tried. */
class MissingHolder extends Error {}

/** Resolves once the child says `locked`; rejects with the reason when it exits first. */
function held(child: ChildProcess, dir: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('locked\n')) {
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      if (code === 127) {
        reject(new MissingHolder(err));
      } else if (code === BUSY) {
        reject(
          new StateLockError(
            `Cannot use state folder ${dir}: another agent holds its lock (flock on ${path}); one agent per state folder`,
          ),
        );
      } else {
        reject(
          new StateLockError(
            `Cannot lock state folder ${dir}: the lock holder for ${path} exited with ${code}: ${err.trim().slice(-300)}`,
          ),
        );
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', onExit);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new MissingHolder(error.message)
          : new StateLockError(`Cannot lock state folder ${dir}: ${error.message}`),
      ),
    );
  });
}
