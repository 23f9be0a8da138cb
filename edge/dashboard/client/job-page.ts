import { ApiError, can, client, why } from './client.ts';
import { $, badge, h, maybe$ } from './dom.ts';
import { duration } from './format.ts';
import { TERMINAL } from './job-states.ts';
import { followLog, type StepEvent, type StreamState } from './log-follow.ts';
import { type LogView, logViewer } from './log-viewer.ts';
import type { Job } from './types.ts';

declare global {
  interface Window {
    /** The open job page's log view, read by tests and bench:dashboard. */
    __rbeeLog?: LogView;
  }
}

/** A step's list item, with the time its step started. */
type StepItem = HTMLElement & { _t?: number };

/** The job page: title, live state, steps, the outcome, Cancel, and the log with search. */
export function jobPage(id: string) {
  const view = logViewer();
  window.__rbeeLog = view;
  const stateEl = $('#job-state');
  const outcome = $('#outcome');
  const stepsEl = $('#steps');
  const cancel = $<HTMLButtonElement>('#cancel');
  const steps = new Map<string, StepItem>();
  view.onCount.push((n) => {
    $('#log-count').textContent = `${n.toLocaleString('en-US')} lines`;
  });

  void client.getJob(id).then(
    (got) => {
      const j = got as Job;
      $('#job-title').textContent = (j.kind === 'install' ? 'Install ' : 'Uninstall ') + j.worker;
      $('#job-meta').textContent =
        `${id} · hive ${j.hive} · created ${new Date(j.created_at).toLocaleString()}` +
        (j.rollout ? ` · rollout ${j.rollout}` : '');
      void client.getHive(j.hive).then(
        (hive) => {
          const meta = $('#job-meta');
          meta.textContent = (meta.textContent ?? '').replace(
            `hive ${j.hive}`,
            `hive ${hive.name}`,
          );
        },
        () => {}, // a deleted hive keeps its id in the line
      );
    },
    (e) => showOutcome('bad', why(e) || 'no such job'),
  );

  function showOutcome(
    kind: 'ok' | 'bad' | 'neutral',
    title: string,
    detail?: string | null,
    lines?: string[] | null,
  ) {
    outcome.hidden = false;
    outcome.className = kind;
    outcome.replaceChildren(
      h(
        'div',
        {},
        h('strong', {}, title),
        detail ? h('div', {}, detail) : null,
        lines?.length ? h('pre', {}, lines.join('\n')) : null,
      ),
    );
  }

  function setState(s: StreamState, final: boolean) {
    stateEl.replaceChildren(badge(s.state));
    stateEl.dataset.state = s.state;
    cancel.hidden = TERMINAL.has(s.state) || !can('operator');
    cancel.disabled = s.cancel_requested;
    cancel.textContent = s.cancel_requested ? 'Cancelling…' : 'Cancel';
    if (!final) return;
    const e = s.error;
    if (s.state === 'succeeded') {
      showOutcome(
        'ok',
        'Succeeded',
        `Every step finished; ${view.count.toLocaleString('en-US')} log lines.`,
      );
    } else if (s.state === 'cancelled') {
      const stopped = s.step || maybe$('#steps li.failed, #steps li.running')?.dataset.step;
      showOutcome('neutral', `Cancelled${stopped ? ` during step ${stopped}` : ''}`, e?.message);
    } else if (s.state === 'delivery_timed_out') {
      showOutcome(
        'bad',
        'Never delivered',
        e ? e.message : 'The hive did not come online before the delivery deadline.',
      );
    } else {
      const parts: string[] = [];
      if (e?.step) parts.push(`step ${e.step}`);
      if (e?.function) parts.push(`in ${e.function}()`);
      if (e && e.exit_code !== undefined && e.exit_code !== null) {
        parts.push(`exit code ${e.exit_code}`);
      }
      if (e?.signal) parts.push(`signal ${e.signal}`);
      const title =
        (s.state === 'timed_out' ? 'Timed out' : 'Failed') +
        (parts.length ? `: ${parts.join(', ')}` : '');
      showOutcome('bad', title, e?.message, e?.last_lines);
    }
    for (const li of stepsEl.children) {
      if (li.classList.contains('running')) {
        li.classList.remove('running');
        li.classList.add(s.state === 'succeeded' ? 'ok' : 'failed');
      }
    }
  }

  function addStep(e: StepEvent) {
    let li = steps.get(e.step);
    if (!li) {
      li = h('li', { dataset: { step: e.step } });
      steps.set(e.step, li);
      stepsEl.append(li);
    }
    if (e.phase === 'start') {
      li._t = e.t;
      li.className = 'running';
      li.textContent = `${e.step} …`;
    } else {
      li.className = e.ok === false ? 'failed' : 'ok';
      li.textContent =
        e.step + (e.ok === false ? ' ✗' : ' ✓') + (li._t ? ` ${duration(e.t - li._t)}` : '');
      if (e.note) li.title = e.note;
    }
  }

  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    try {
      await client.cancelJob(id);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409))
        showOutcome('bad', 'Cancel refused', why(e));
    }
  });

  followLog(id, view, {
    state: (s) => setState(s, false),
    step: addStep,
    end: (s) => {
      setState(s, true);
      document.body.dataset.ended = '1';
    },
    lost: () => showOutcome('bad', 'The live log stopped', 'Reload the page to try again.'),
  });

  wireSearch(view);
}

/** The search box: searches 200 ms after typing stops; Enter and the arrows step through hits. */
function wireSearch(view: LogView) {
  const input = $<HTMLInputElement>('#log-search');
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(async () => {
      const q = input.value.trim();
      const found = await view.search(q);
      if (found >= 0) {
        $('#search-count').textContent = q
          ? found.toLocaleString('en-US') + (found === 1 ? ' match' : ' matches')
          : '';
      }
      if (found > 0) view.step(1);
    }, 200);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      view.step(ev.shiftKey ? -1 : 1);
    }
  });
  $('#search-next').addEventListener('click', () => view.step(1));
  $('#search-prev').addEventListener('click', () => view.step(-1));
}
