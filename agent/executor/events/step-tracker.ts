import type { BuildContext } from '../build-context.ts';
import type { BuildStep, StepEvent } from './build-event.ts';

type EndFields = Partial<
  Pick<
    StepEvent,
    'function' | 'pkgname' | 'ok' | 'message' | 'checksums' | 'operations' | 'warnings'
  >
>;

/**
 * Emits step events and remembers the open step, so errors raised from outside it (timeout,
 * cancel) can name it and close it with `ok: false`.
 */
export class StepTracker {
  private open: { step: BuildStep; function?: string; pkgname?: string } | undefined;

  constructor(private readonly ctx: BuildContext) {}

  start(
    step: BuildStep,
    where: { function?: string; pkgname?: string } = {},
  ): void | Promise<void> {
    this.open = { step, ...where };
    this.ctx.step = step;
    this.ctx.function = where.function;
    return this.ctx.sink.step(step, 'start', where);
  }

  end(step: BuildStep, fields: EndFields = {}): void | Promise<void> {
    this.open = undefined;
    this.ctx.function = undefined;
    return this.ctx.sink.step(step, 'end', { ok: true, ...fields });
  }

  /** Closes the open step, if any, as failed. */
  async abandon(reason: string): Promise<void> {
    const open = this.open;
    if (open === undefined) return;
    this.open = undefined;
    const { step, ...where } = open;
    await this.ctx.sink.step(step, 'end', { ...where, ok: false, message: reason });
  }
}
