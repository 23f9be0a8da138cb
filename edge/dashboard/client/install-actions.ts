import type { InstallRequest } from '../../../shared/api/jobs.ts';
import type { CatalogEntry } from '../../../shared/catalog/schema.ts';
import { ApiError, client, why } from './client.ts';
import { h } from './dom.ts';
import { plural } from './format.ts';
import type { Hive, Job } from './types.ts';

type InstallBody = {
  worker: string;
  hive?: string;
  hives?: string[];
  selector?: Record<string, unknown>;
};

/** Reads a worker card's install form into a POST /api/installs and goes where it leads. */
export async function install(entry: CatalogEntry, form: HTMLFormElement, status: HTMLElement) {
  const fd = new FormData(form);
  const body: InstallBody = { worker: entry.id };
  if (fd.get('target') === 'selector') {
    const selector: Record<string, unknown> = {};
    const labels = String(fd.get('labels') || '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (labels.length) {
      selector.labels = Object.fromEntries(
        labels.map((l) => {
          const i = l.indexOf('=');
          return [l.slice(0, i), l.slice(i + 1)];
        }),
      );
    }
    for (const k of ['os', 'arch', 'accelerator']) if (fd.get(k)) selector[k] = fd.get(k);
    body.selector = selector;
  } else {
    const hives = fd.getAll('hive').map(String);
    if (hives.length === 0) {
      status.replaceChildren(
        h('p', { class: 'error' }, 'Tick at least one hive, or choose a selector.'),
      );
      return;
    }
    if (hives.length === 1) body.hive = hives[0];
    else body.hives = hives;
  }
  const limits: Record<string, number> = {};
  for (const k of ['max_concurrency', 'max_errors']) {
    if (fd.get(k) !== '' && fd.get(k) !== null) limits[k] = Number(fd.get(k));
  }
  const hasLimits = Object.keys(limits).length > 0;
  if (hasLimits && body.hive) {
    body.hives = [body.hive];
    delete body.hive;
  }
  let answer: { rollout?: { id: string }; jobs?: Job[]; job?: Job };
  try {
    answer = (await client.install({ ...body, ...limits } as InstallRequest)) as typeof answer;
  } catch (e) {
    status.replaceChildren(h('p', { class: 'error' }, `Install refused: ${why(e)}`));
    return;
  }
  if (answer.rollout) {
    location.href = `/rollouts/${encodeURIComponent(answer.rollout.id)}`;
    return;
  }
  const jobs: Job[] = answer.jobs || (answer.job ? [answer.job] : []);
  if (jobs.length === 1) {
    location.href = `/jobs/${jobs[0]!.id}`;
    return;
  }
  status.replaceChildren(
    h('p', {}, `${plural(jobs.length, 'install job')} started:`),
    h(
      'ul',
      {},
      jobs.map((j) => h('li', {}, h('a', { href: `/jobs/${j.id}` }, j.id), ` on ${j.hive}`)),
    ),
  );
}

/** Asks to confirm, then starts an uninstall job on one hive and opens its page. */
export async function uninstall(hive: Hive, entry: CatalogEntry, status: HTMLElement) {
  if (!confirm(`Uninstall ${entry.id} from ${hive.name}?`)) return;
  try {
    const { job } = await client.uninstall(hive.id, { worker: entry.id });
    location.href = `/jobs/${job.id}`;
  } catch (e) {
    const text = e instanceof ApiError ? e.message : why(e);
    status.replaceChildren(h('p', { class: 'error' }, `Uninstall refused: ${text}`));
  }
}
