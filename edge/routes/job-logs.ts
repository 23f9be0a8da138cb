import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { terminalStates } from '../../shared/protocol/job.ts';
import type { LogEntry, LogLine } from '../../shared/protocol/log-entry.ts';
import { apiError } from '../http/errors.ts';
import { terminalSafe } from '../http/terminal-safe.ts';
import type { LogBus } from '../logs/log-bus.ts';
import type { JobRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';

/** The public part of a job's state, sent as `state` and `end` events. */
const stateOf = (job: JobRecord) => ({
  state: job.state,
  step: job.step,
  error: job.error,
  cancel_requested: job.cancel_requested,
});

function startSeq(lastEventId: string | undefined, from: string | undefined): number | string {
  if (lastEventId !== undefined && lastEventId !== '') {
    if (!/^\d{1,15}$/.test(lastEventId)) return 'Last-Event-ID must be a sequence number';
    return Number(lastEventId) + 1;
  }
  if (from !== undefined) {
    if (!/^\d{1,15}$/.test(from)) return '?from must be a non-negative integer';
    return Number(from);
  }
  return 0;
}

/**
 * `GET /api/jobs/:id/logs` (SSE) and `/logs.txt`. SSE replays the durable log from
 * Last-Event-ID + 1 (or ?from), then follows it: a batch of lines is one `logs` event with the
 * last seq as its id; a step is a `step` event; state changes are `state` events; when the job
 * is final and every entry is sent, an `end` event, then the stream closes.
 */
export function jobLogsRoutes(store: Store, bus: LogBus) {
  const app = new Hono();

  app.get('/api/jobs/:id/logs', async (c) => {
    const id = c.req.param('id');
    let job = await store.getJob(id);
    if (!job) return apiError(c, 404, 'UNKNOWN_JOB', `no job with id "${id}"`);
    const start = startSeq(c.req.header('Last-Event-ID'), c.req.query('from'));
    if (typeof start === 'string') return apiError(c, 400, 'BAD_REQUEST', start);
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      const abort = new AbortController();
      stream.onAbort(() => abort.abort());
      let cursor = start;
      let lastState = '';
      const sendState = async (event: 'state' | 'end', j: JobRecord) => {
        const data = JSON.stringify(stateOf(j));
        if (event === 'state' && data === lastState) return;
        lastState = data;
        await stream.writeSSE({ event, data });
      };
      await sendState('state', job!);
      while (!abort.signal.aborted) {
        // Subscribe before reading so nothing stored in between is missed.
        const woken = bus.next(id, abort.signal);
        for await (const chunk of store.readLogChunks(id, cursor)) {
          if (chunk.text.includes('"k":"step"')) {
            cursor = await writeBatch(stream, JSON.parse(chunk.text) as LogEntry[], cursor);
          } else {
            // Only lines: the stored JSON is the event's data as it is, no parse, no stringify.
            const last = chunk.first + chunk.count - 1;
            await stream.writeSSE({ event: 'logs', data: chunk.text, id: String(last) });
            cursor = last + 1;
          }
          if (abort.signal.aborted) break;
        }
        job = (await store.getJob(id)) ?? job!;
        const head = await store.logHead(id);
        if (terminalStates.has(job.state) && cursor >= head.next) {
          await sendState('end', job);
          abort.abort();
          break;
        }
        await sendState('state', job);
        if (cursor < head.next) continue;
        await woken;
      }
    });
  });

  app.get('/api/jobs/:id/logs.txt', async (c) => {
    const id = c.req.param('id');
    if (!(await store.getJob(id))) return apiError(c, 404, 'UNKNOWN_JOB', `no job with id "${id}"`);
    const enc = new TextEncoder();
    // ?raw=1 gives the stored bytes; by default only SGR colours survive (terminal-safe.ts).
    const safe = c.req.query('raw') === '1' ? (t: string) => t : terminalSafe;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for await (const batch of store.readLog(id, 0)) {
          let text = '';
          for (const e of batch) {
            text +=
              e.k === 'step'
                ? `==> ${e.step} ${e.phase}${e.ok === false ? ' (failed)' : ''}${e.note ? `: ${e.note}` : ''}\n`
                : `${e.x}\n`;
          }
          controller.enqueue(enc.encode(safe(text)));
        }
        controller.close();
      },
    });
    return c.body(body, 200, { 'Content-Type': 'text/plain; charset=utf-8' });
  });

  return app;
}

type SSEWriter = { writeSSE(message: { event: string; data: string; id: string }): Promise<void> };

/** Writes runs of lines as `logs` events and each step as a `step` event. Returns the new cursor. */
async function writeBatch(stream: SSEWriter, batch: LogEntry[], cursor: number): Promise<number> {
  let run: LogLine[] = [];
  const flush = async () => {
    if (run.length === 0) return;
    const last = run[run.length - 1]!.s;
    await stream.writeSSE({ event: 'logs', data: JSON.stringify(run), id: String(last) });
    run = [];
  };
  for (const entry of batch) {
    if (entry.s < cursor) continue;
    if (entry.k === 'step') {
      await flush();
      await stream.writeSSE({ event: 'step', data: JSON.stringify(entry), id: String(entry.s) });
    } else {
      run.push(entry);
    }
    cursor = entry.s + 1;
  }
  await flush();
  return cursor;
}
