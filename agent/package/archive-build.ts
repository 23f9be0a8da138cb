import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePkgbuild } from '../../shared/pkgbuild/index.ts';
import type { BuildResult } from '../executor/index.ts';
import { createPackages, type PackageFile } from './create-package.ts';

export type ArchiveBuildOptions = {
  /** The CARCH the build ran with. */
  carch: string;
  /** Where the package files go (default the build's startdir, as makepkg's PKGDEST). */
  destDir?: string;
  /** Who owns the tree (the build user when root); the archive runs as this user. */
  user?: { uid: number; gid: number };
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
};

/**
 * makepkg's archive step after `runBuild`: one `.pkg.tar.zst` (PKGEXT) per package of the
 * build, mtimes from SOURCE_DATE_EPOCH (the environment's, else now), as `rbee build --archive`.
 * @example const files = await archiveBuild(await runBuild(dir, { carch }), { carch });
 */
export async function archiveBuild(
  built: BuildResult,
  options: ArchiveBuildOptions,
): Promise<PackageFile[]> {
  const env = options.env ?? process.env;
  const text = await readFile(join(built.startdir, 'PKGBUILD'), 'utf8');
  const pkgbuild = parsePkgbuild(text, { carch: options.carch, filename: 'PKGBUILD' });
  return createPackages({
    startdir: built.startdir,
    pkgbuild,
    pkgver: built.pkgver,
    pkgrel: built.pkgrel,
    epoch: built.epoch,
    carch: options.carch,
    ...(options.destDir ? { destDir: options.destDir } : {}),
    sourceDateEpoch: Number(env.SOURCE_DATE_EPOCH ?? Math.floor(Date.now() / 1000)),
    ...(options.user ? { user: options.user } : {}),
    env,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
