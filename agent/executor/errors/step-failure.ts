import type { BuildStep } from '../events/build-event.ts';

/** A step that failed on its own terms (not stopped from outside); becomes a BuildError. */
export class StepFailure extends Error {
  constructor(
    readonly step: BuildStep,
    reason: string,
    readonly fn?: string,
    readonly exitCode?: number,
    readonly signal?: string,
  ) {
    super(reason);
  }
}

/** Thrown when the build was stopped (cancel, timeout, output cap, handler error). */
export class Stopped extends Error {}
