/**
 * The PKGBUILD executor: builds a PKGBUILD folder the way `makepkg --noarchive --nodeps`
 * does and streams its output, line by line, to a callback.
 * @example
 * import { runBuild, BuildError } from './agent/build/index.ts';
 * const result = await runBuild(dir, { onEvent: (e) => console.log(e), timeoutMs: 600_000 });
 */
export { BuildError, type BuildErrorDetails } from './build-error.ts';
export type {
  BuildEvent,
  BuildEventHandler,
  BuildStep,
  ChecksumResult,
  LineEvent,
  OutputStream,
  StepEvent,
} from './build-event.ts';
export { BUILD_DEFAULTS, type BuildOptions, type BuildResult } from './build-options.ts';
export { MAX_LINE_BYTES } from './line-splitter.ts';
export { runBuild } from './run-build.ts';
