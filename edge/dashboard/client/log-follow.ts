import type { JobState } from '../../../shared/protocol/job.ts';
import type { LogView } from './log-viewer.ts';
import type { Job } from './types.ts';

/** A job's state as the live stream sends it (`state` and `end` events). */
export type StreamState = Pick<Job, 'error' | 'step'> & {
  state: JobState;
  cancel_requested: boolean;
};

/** A step event: one start and one end per step, numbered in the same sequence as lines. */
export type StepEvent = {
  s: number;
  t: number;
  step: string;
  phase: 'start' | 'end';
  ok?: boolean;
  note?: string;
};

type Handlers = {
  state: (s: StreamState) => void;
  step: (e: StepEvent) => void;
  end: (s: StreamState) => void;
  /** The stream closed for good before the job ended. */
  lost: () => void;
};

/**
 * Follows a job's log over SSE (`GET /api/jobs/:id/logs`): replays from the start, then live.
 * Lines and step markers go into the view once each, by sequence number, so a reconnect of
 * EventSource that replays lines already shown doubles nothing.
 */
export function followLog(id: string, view: LogView, on: Handlers) {
  let lastSeq = -1;
  let ended = false;
  const es = new EventSource(`/api/jobs/${encodeURIComponent(id)}/logs`);
  const data = <T>(ev: Event) => JSON.parse((ev as MessageEvent<string>).data) as T;
  es.addEventListener('state', (ev) => on.state(data(ev)));
  es.addEventListener('logs', (ev) => {
    const lines = data<{ s: number; k: string; x: string }[]>(ev);
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.s <= lastSeq) continue;
      lastSeq = l.s;
      view.push(l.x, l.k === 'e' ? 1 : 0);
    }
    view.paint();
  });
  es.addEventListener('step', (ev) => {
    const e = data<StepEvent>(ev);
    if (e.s <= lastSeq) return;
    lastSeq = e.s;
    view.push(
      `==> ${e.step} ${e.phase}${e.ok === false ? ' (failed)' : ''}${e.note ? `: ${e.note}` : ''}`,
      e.phase === 'start' ? 2 : e.ok === false ? 4 : 3,
    );
    on.step(e);
    view.paint();
  });
  es.addEventListener('end', (ev) => {
    ended = true;
    es.close();
    on.end(data(ev));
  });
  es.addEventListener('error', () => {
    if (ended) return;
    if (es.readyState === EventSource.CLOSED) on.lost();
  });
}
