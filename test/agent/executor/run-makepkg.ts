import { spawn } from 'node:child_process';

export type MakepkgRun = { exitCode: number | null; output: string };

/**
 * The reference: `makepkg --noarchive --nodeps -f` in `dir`, as nobody (makepkg refuses
 * root), with SRCDEST, BUILDDIR and friends unset so src/ and pkg/ land in `dir`.
 */
export function runMakepkg(dir: string, home: string, env: NodeJS.ProcessEnv): Promise<MakepkgRun> {
  const clean = { ...process.env, ...env };
  for (const name of ['PKGDEST', 'SRCDEST', 'SRCPKGDEST', 'LOGDEST', 'BUILDDIR', 'MAKEPKG_CONF']) {
    delete clean[name];
  }
  const child = spawn(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'env',
      `HOME=${home}`,
      'makepkg',
      '--noarchive',
      '--nodeps',
      '-f',
    ],
    { cwd: dir, env: clean, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      // makepkg leaves a build's background children running: end them with it.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ exitCode: code, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}
