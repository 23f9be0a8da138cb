/** Which pipe of a build process a line came from. */
export type OutputStream = 'stdout' | 'stderr';

/**
 * The stages of a build, in makepkg's order. `metadata` is sourcing the PKGBUILD; `sources`,
 * `checksums` and `extract` are makepkg's download_sources, check_source_integrity and
 * extract_sources; `tidy` is tidy_install for one package.
 */
export type BuildStep =
  | 'metadata'
  | 'sources'
  | 'checksums'
  | 'extract'
  | 'prepare'
  | 'pkgver'
  | 'build'
  | 'check'
  | 'package'
  | 'tidy';

/**
 * One line of output, whole: without its `\n`, ANSI escapes kept. A line longer than the
 * cap (64 KiB) arrives in pieces; every piece but the last has `cut: true`.
 */
export type LineEvent = {
  type: 'line';
  /** Shared with step events: one counter per build, starting at 1, no gaps. */
  seq: number;
  /** Date.now() when the line was read. */
  ts: number;
  stream: OutputStream;
  text: string;
  cut?: true;
};

/** The result of one source's integrity check, as makepkg prints it. */
export type ChecksumResult = {
  file: string;
  algorithm: string;
  result: 'Passed' | 'Skipped' | 'FAILED' | 'NOT FOUND';
};

/** A step starts or ends. Ends carry `ok` and, on failure, `message`. */
export type StepEvent = {
  type: 'step';
  seq: number;
  ts: number;
  step: BuildStep;
  phase: 'start' | 'end';
  /** The PKGBUILD function the step runs (`build`, `package_foo`), when it runs one. */
  function?: string;
  /** For `package` and `tidy` of a split package: which package. */
  pkgname?: string;
  ok?: boolean;
  /** Why the step failed, or what it did (`pkgver` end: the new version). */
  message?: string;
  /** `checksums` end: one entry per source and algorithm checked. */
  checksums?: ChecksumResult[];
  /** `tidy` end: makepkg's tidy operations that ran (`purge`, `strip`, `zipman`, …). */
  operations?: string[];
  /** `tidy` end: makepkg's lint_package warnings (references to $srcdir, missing backup files). */
  warnings?: string[];
};

export type BuildEvent = LineEvent | StepEvent;

/**
 * Receives every event in order. Return a promise to pause reading the build's output until
 * it settles (backpressure); return nothing to go on at full speed.
 */
export type BuildEventHandler = (event: BuildEvent) => void | Promise<void>;
