import type { CachedPackage } from '../../../shared/api/dashboard-types.ts';
import type { CatalogEntry } from '../../../shared/catalog/schema.ts';
import { cachedPlatforms } from './cached-platforms.ts';
import { can, client } from './client.ts';
import { $, badge, h } from './dom.ts';
import { install, uninstall } from './install-actions.ts';
import type { Hive } from './types.ts';
import { fitText, serverFit, whyNot } from './worker-fit.ts';

type Reasons = (hive: Hive, index: number, entry: CatalogEntry) => string[];

/** The catalog page: a card per worker, which hive can run it, and its install form. */
export async function catalogPage() {
  const [workers, listed, packages] = await Promise.all([
    client.listWorkers(),
    client.listHives(),
    // an edge without the package cache, or a role that may not list it: no cache line
    client.listPackages().catch((): CachedPackage[] => []),
  ]);
  const hives = (listed as Hive[]).sort((a, b) => a.name.localeCompare(b.name));
  const fits = await Promise.all(hives.map(serverFit));
  const fromServer = fits.every((f) => f !== null) && hives.length > 0;
  $('#catalog-note').textContent = fromServer
    ? "Which hive can run what is the edge's own check (the one the agent makes at its platform step)."
    : "Which hive can run what is worked out here, from each hive's reported OS, CPU and GPUs.";
  const reasons: Reasons = (hive, i, entry) =>
    fromServer
      ? (fits[i]!.get(entry.id) ?? ["not in the edge's list for this hive"])
      : whyNot(hive, entry);
  $('#catalog').replaceChildren(
    ...workers.map((entry) => workerCard(entry, hives, reasons, packages)),
  );
}

const chip = (text: string) => h('span', { class: 'chip' }, text);
const options = (any: string, values: readonly string[]) => [
  h('option', { value: '' }, any),
  ...values.map((p) => h('option', { value: p }, p)),
];

/** The card's line of platforms with a cached package of the worker (chips with a title). */
function cacheLine(entry: CatalogEntry, packages: CachedPackage[]) {
  const platforms = cachedPlatforms(packages, entry.id);
  return h(
    'p',
    { class: 'cache', dataset: { cached: String(platforms.length) } },
    'Cached packages: ',
    platforms.length === 0
      ? h('span', { class: 'muted' }, 'none yet (the first hive of each platform builds it)')
      : platforms.map((p) =>
          h(
            'span',
            {
              class: 'chip cached',
              dataset: { platform: p.platform },
              title: `${p.versions.join(', ')} · ${p.count} package${p.count === 1 ? '' : 's'}`,
            },
            `${p.platform} · ${p.versions[0]}`,
          ),
        ),
  );
}

function workerCard(
  entry: CatalogEntry,
  hives: Hive[],
  reasons: Reasons,
  packages: CachedPackage[],
) {
  const operator = can('operator');
  const status = h('div', { class: 'result' });
  const rows = hives.map((hive, i) => {
    const why = reasons(hive, i, entry);
    const inst = hive.installed.find((x) => x.id === entry.id);
    return h(
      'tr',
      { dataset: { hive: hive.name } },
      h(
        'td',
        {},
        h(
          'label',
          {},
          operator
            ? h('input', {
                type: 'checkbox',
                name: 'hive',
                value: hive.id,
                disabled: why.length > 0,
              })
            : null,
          ' ',
          hive.name,
        ),
        ' ',
        badge(hive.online ? 'online' : 'offline'),
      ),
      h('td', {}, h('span', { class: why.length === 0 ? 'yes' : 'no' }, fitText(why))),
      h(
        'td',
        {},
        inst
          ? [
              `${inst.version} installed `,
              operator
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'danger',
                      onclick: () => void uninstall(hive, entry, status),
                    },
                    'Uninstall',
                  )
                : null,
            ]
          : h('span', { class: 'muted' }, 'not installed'),
      ),
    );
  });
  const form = h(
    'form',
    {},
    h(
      'table',
      { class: 'grid' },
      h(
        'tbody',
        {},
        rows.length ? rows : h('tr', {}, h('td', { class: 'muted' }, 'No hive is enrolled yet.')),
      ),
    ),
    h(
      'div',
      { class: 'install', hidden: !operator },
      h(
        'label',
        {},
        h('input', { type: 'radio', name: 'target', value: 'hives', checked: true }),
        ' ticked hives',
      ),
      h(
        'label',
        {},
        h('input', { type: 'radio', name: 'target', value: 'selector' }),
        ' every hive with labels ',
      ),
      h('input', { type: 'text', name: 'labels', placeholder: 'gpu=a100,zone=eu' }),
      h('select', { name: 'os' }, ...options('any OS', entry.platforms)),
      h('select', { name: 'arch' }, ...options('any arch', entry.architectures)),
      h(
        'select',
        { name: 'accelerator' },
        ...options('any accelerator', ['cuda', 'metal', 'rocm', 'none']),
      ),
      h(
        'label',
        {},
        'at most ',
        h('input', { type: 'number', name: 'max_concurrency', min: 1, placeholder: 'all' }),
        ' at once',
      ),
      h(
        'label',
        {},
        'stop after ',
        h('input', { type: 'number', name: 'max_errors', min: 0, placeholder: '∞' }),
        ' failures',
      ),
      h('button', { type: 'submit', class: 'primary' }, 'Install'),
    ),
  ) as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void install(entry, form, status);
  });
  return h(
    'section',
    { class: 'card worker', dataset: { worker: entry.id } },
    h(
      'div',
      { class: 'worker-head' },
      h('h2', {}, entry.name, ' ', h('span', { class: 'muted' }, `${entry.id} ${entry.version}`)),
      h(
        'span',
        {},
        chip(entry.worker_type),
        ...entry.platforms.map(chip),
        ...entry.architectures.map(chip),
      ),
    ),
    h('p', { class: 'muted' }, entry.description),
    cacheLine(entry, packages),
    form,
    status,
  );
}
