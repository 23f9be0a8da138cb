import { spawn } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { lstat, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pkgbuild } from '../../shared/pkgbuild/index.ts';
import { packageFields } from '../../shared/pkgbuild/index.ts';
import { buildEnv } from '../executor/sandbox/build-env.ts';
import { sha256File } from '../install/sha256.ts';
import { failureSummary, probe } from '../probe/probe.ts';
import {
  type PackageFacts,
  type PackageIdentity,
  packageFileName,
  parseFacts,
  writeBuildinfo,
  writePkginfo,
} from './package-info.ts';
import { sha256Text } from './sha256-text.ts';

/**
 * The packaging script's text, run as `bash -c` so the one-file agent (scripts/build-agent.mjs)
 * can carry it inlined: there is no file beside the bundle to run.
 */
const SCRIPT_TEXT = readFileSync(new URL('./sh/create-package.sh', import.meta.url), 'utf8');
const script = (...args: string[]) => ['-c', SCRIPT_TEXT, 'create-package.sh', ...args];
/** The executor's copy of Debian's makepkg.conf, for hives without /etc/makepkg.conf. */
const DEFAULT_CONF = fileURLToPath(new URL('../executor/driver/sh/makepkg.conf', import.meta.url));

/** A package file the archive step wrote. */
export type PackageFile = {
  pkgname: string;
  /** `<pkgname>-<ver>-<arch><PKGEXT>` */
  filename: string;
  path: string;
  sha256: string;
  size: number;
  /** The arch in its name: CARCH, or `any`. */
  arch: string;
};

export type CreatePackagesOptions = {
  /** The folder the PKGBUILD was built in (the executor's startdir). */
  startdir: string;
  pkgbuild: Pkgbuild;
  /** The version the build ended on (after pkgver()). */
  pkgver: string;
  pkgrel: string;
  epoch: string;
  carch: string;
  /** Where the package files go (makepkg's PKGDEST; default startdir). */
  destDir?: string;
  /** makepkg.conf (default /etc/makepkg.conf, else Debian's defaults). */
  conf?: string;
  /** The build's SOURCE_DATE_EPOCH: every mtime in the archive and the builddate. */
  sourceDateEpoch: number;
  /** Who the tree belongs to; the script runs as this user (required when the agent is root). */
  user?: { uid: number; gid: number };
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
};

/** The archive step failed; says which package and why. */
export class PackageError extends Error {
  override name = 'PackageError';
  constructor(
    message: string,
    readonly pkgname: string,
  ) {
    super(message);
  }
}

/**
 * makepkg's create_package for every package of a build: `.PKGINFO`, `.BUILDINFO`, `.MTREE`
 * and the compressed archive, with the same file order, root:root owners and mtimes set to
 * SOURCE_DATE_EPOCH. The tree is only touched by the build user (hostile input to root).
 * @example
 * const files = await createPackages({ startdir, pkgbuild, pkgver: '1.0.0', pkgrel: '1',
 *   epoch: '', carch: 'x86_64', sourceDateEpoch: 1700000000 });
 * // files[0].filename → 'rbee-hello-worker-1.0.0-1-x86_64.pkg.tar.gz'
 */
export async function createPackages(options: CreatePackagesOptions): Promise<PackageFile[]> {
  const conf = options.conf ?? (await defaultConf());
  // Run as the build user outside the sandbox: the agent's RBEE_* secrets stay out.
  const env = { ...buildEnv(options.env, process.env), LIBRARY: '/usr/share/makepkg' };
  const pkgbuildSha256 = sha256Text(await readFile(join(options.startdir, 'PKGBUILD')));
  const out: PackageFile[] = [];
  for (const [index, pkgname] of options.pkgbuild.pkgnames.entries()) {
    const pkgdir = join(options.startdir, 'pkg', pkgname);
    await plainFolder(join(options.startdir, 'pkg'), pkgname);
    await plainFolder(pkgdir, pkgname);
    const facts = await readFacts(conf, pkgdir, pkgname, env, options);
    const id: PackageIdentity = { ...options, pkgname, first: index === 0 };
    const pkginfo = writePkginfo(id, facts, options.sourceDateEpoch);
    const buildinfo = writeBuildinfo(id, facts, options.sourceDateEpoch, {
      pkgbuildSha256,
      startdir: options.startdir,
      builddir: options.startdir,
    });
    const fields = packageFields(options.pkgbuild, pkgname);
    const extra = (v: unknown) =>
      typeof v === 'string' && v !== '' ? join(options.startdir, v) : '';
    const filename = packageFileName(id, facts.pkgext);
    const path = join(options.destDir ?? options.startdir, filename);
    await archive(
      [
        conf,
        pkgdir,
        String(options.sourceDateEpoch),
        extra(fields.install),
        extra(fields.changelog),
      ],
      { ...env, RBEE_PKGINFO: pkginfo, RBEE_BUILDINFO: buildinfo },
      path,
      pkgname,
      options,
    );
    const size = (await lstat(path)).size;
    const arch = filename.slice(0, -facts.pkgext.length).split('-').at(-1) ?? options.carch;
    out.push({ pkgname, filename, path, sha256: await sha256File(path), size, arch });
  }
  return out;
}

async function defaultConf(): Promise<string> {
  try {
    await lstat('/etc/makepkg.conf');
    return '/etc/makepkg.conf';
  } catch {
    return DEFAULT_CONF;
  }
}

/** The package tree and its parent must be real folders, not links a build left. */
async function plainFolder(path: string, pkgname: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (!st?.isDirectory())
    throw new PackageError(
      `Missing ${path} directory (or not a plain folder): nothing to package`,
      pkgname,
    );
}

async function readFacts(
  conf: string,
  pkgdir: string,
  pkgname: string,
  env: NodeJS.ProcessEnv,
  options: CreatePackagesOptions,
): Promise<PackageFacts> {
  const res = await probe('bash', script('facts', conf, pkgdir), {
    env,
    ...(options.user ? { user: options.user } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    timeoutMs: 0,
  });
  if (res.failed)
    throw new PackageError(`Cannot read the package facts: ${failureSummary(res)}`, pkgname);
  return parseFacts(res.stdout);
}

/** Runs the archive phase with its stdout going to a file only the agent opened. */
async function archive(
  args: string[],
  env: NodeJS.ProcessEnv,
  path: string,
  pkgname: string,
  options: CreatePackagesOptions,
): Promise<void> {
  const old = await lstat(path).catch(() => null);
  if (old?.isDirectory()) throw new PackageError(`${path} is a folder`, pkgname);
  if (old) await rm(path);
  // O_EXCL with O_CREAT never follows a link: the file is new and ours.
  const file = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    const child = spawn('bash', script('archive', ...args), {
      env,
      stdio: ['ignore', file.fd, 'pipe'],
      ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      if (stderr.length < 16_384) stderr += c.toString();
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    if (code !== 0) {
      throw new PackageError(
        `Failed to create package file ${path} (exit code ${code}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
        pkgname,
      );
    }
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  } finally {
    await file.close();
  }
}
