/**
 * The PKGBUILD executor: builds a PKGBUILD folder the way `makepkg --noarchive --nodeps`
 * does and streams its output, line by line, to a callback.
 * @example
 * import { runBuild, BuildError } from './agent/executor/index.ts';
 * const result = await runBuild(dir, { onEvent: (e) => console.log(e), timeoutMs: 600_000 });
 */

export { BUILD_DEFAULTS, type BuildOptions, type BuildResult } from './build-options.ts';
export { BuildError, type BuildErrorDetails } from './errors/build-error.ts';
export type {
  BuildEvent,
  BuildEventHandler,
  BuildStep,
  ChecksumResult,
  LineEvent,
  OutputStream,
  StepEvent,
} from './events/build-event.ts';
export { MAX_LINE_BYTES } from './process/line-splitter.ts';
export { runBuild } from './run-build.ts';
