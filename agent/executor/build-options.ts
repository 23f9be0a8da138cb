import type { BuildEventHandler } from './events/build-event.ts';
import type { SandboxOptions } from './sandbox/sandbox-options.ts';

/** Defaults for every limit of a build; each is an option of runBuild. */
export const BUILD_DEFAULTS = {
  /** Two hours for the whole build, sources included. */
  timeoutMs: 2 * 60 * 60 * 1000,
  /** 256 MiB of output (both streams, newlines included) before the build fails. */
  maxOutputBytes: 256 * 1024 * 1024,
  /** Between SIGTERM and SIGKILL when stopping a build's processes. */
  graceMs: 5000,
  /** nobody:nogroup, who runs the PKGBUILD when the agent runs as root. */
  buildUser: { uid: 65534, gid: 65534 },
} as const;

export type BuildOptions = {
  /** Every output line and step event, in order. Return a promise to apply backpressure. */
  onEvent?: BuildEventHandler;
  /** Cancels the build: SIGTERM to its process group, then SIGKILL after graceMs. */
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Output cap; passing it fails the build with `outputLimited`. */
  maxOutputBytes?: number;
  graceMs?: number;
  /** Skip check(), as `makepkg --nocheck`. */
  noCheck?: boolean;
  /** Base URL for local sources that are not beside the PKGBUILD (the catalog's files URL). */
  sourceBase?: string;
  /** Who runs the PKGBUILD when the agent is root (default nobody, 65534:65534). */
  buildUser?: { uid: number; gid: number };
  /** HOME for the build user when running as root (default: a fresh temporary directory). */
  home?: string;
  /**
   * The environment the build starts from, as makepkg inherits its caller's (RBEE_* always
   * removed). Default: the allow-listed part of process.env (see sandbox/build-env.ts).
   */
  env?: NodeJS.ProcessEnv;
  /** The sandbox every command of the build runs in: network, limits, visible folders. */
  sandbox?: SandboxOptions;
  /**
   * Run package() and tidy under fakeroot, as makepkg does, when fakeroot is installed
   * (default true): `chown root` works there and the tree on disk is the one makepkg leaves.
   */
  fakeroot?: boolean;
  /** Force CARCH instead of makepkg.conf's. */
  carch?: string;
  /** makepkg.conf to use; null for the built-in Debian defaults (default: /etc/makepkg.conf where it exists). */
  makepkgConf?: string | null;
};

export type BuildResult = {
  startdir: string;
  srcdir: string;
  pkgbase: string;
  pkgnames: string[];
  /** After pkgver(), if the PKGBUILD has one. */
  pkgver: string;
  pkgrel: string;
  epoch: string;
  /** `pkg/<pkgname>` for each package, in pkgname order. */
  pkgdirs: string[];
  durationMs: number;
};
