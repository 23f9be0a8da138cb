/**
 * Runs the real `makepkg --printsrcinfo` on a fixture folder: the oracle the parser is compared
 * with. makepkg refuses to run as root, so as root it runs as nobody in a copy owned by nobody.
 */
import { execFile } from 'node:child_process';
import { chown, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type OracleResult = { exitCode: number; stdout: string; stderr: string };

const NOBODY = 65534;

async function chownTree(path: string): Promise<void> {
  await chown(path, NOBODY, NOBODY);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child);
    else await chown(child, NOBODY, NOBODY);
  }
}

/**
 * `makepkg --printsrcinfo` in a temporary copy of `dir`. makepkg names the PKGBUILD by its full
 * path in its errors: the temporary folder is written as `$startdir`, so answers can be stored.
 */
export async function makepkgPrintsrcinfo(dir: string): Promise<OracleResult> {
  const work = await mkdtemp(join(tmpdir(), 'rbee-makepkg-'));
  try {
    await cp(dir, work, { recursive: true });
    const env = { ...process.env, HOME: work, BUILDDIR: work, SRCDEST: work, PKGDEST: work };
    const root = process.getuid?.() === 0;
    if (root) await chownTree(work);
    const file = root ? 'setpriv' : 'makepkg';
    const args = root
      ? [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'makepkg', '--printsrcinfo']
      : ['--printsrcinfo'];
    return await new Promise<OracleResult>((resolve, reject) => {
      execFile(file, args, { cwd: work, env, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else {
          const exitCode = error ? Number(error.code) : 0;
          resolve({ exitCode, stdout, stderr: stderr.split(work).join('$startdir') });
        }
      });
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** CARCH from makepkg.conf, the value makepkg's PKGBUILD sees. */
export async function makepkgCarch(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const conf = await readFile('/etc/makepkg.conf', 'utf8');
  const m = /^CARCH="?([^"\n]+)"?/m.exec(conf);
  if (!m) throw new Error('Cannot read CARCH from /etc/makepkg.conf');
  return m[1]!;
}

export { limiter } from '../../support/limiter.ts';
