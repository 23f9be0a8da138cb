import type { CreateWebhookRequest, Delivery, Webhook } from '../../../shared/api/webhooks.ts';
import { client, why } from './client.ts';
import { $, badge, h } from './dom.ts';
import { ago } from './format.ts';
import { secretBox } from './secret-box.ts';

/** A delivery's last attempt as text: `200 in 12 ms`, `no answer: ECONNREFUSED`. */
function lastAttempt(d: Delivery) {
  const a = d.attempts.at(-1);
  if (!a) return h('span', { class: 'muted' }, 'not tried yet');
  const text = a.status
    ? `${a.status} in ${a.duration_ms} ms`
    : `no answer: ${a.error ?? 'unknown'}`;
  return h('span', { class: a.status >= 200 && a.status < 300 ? 'yes' : 'no' }, text);
}

function deliveriesTable(list: Delivery[]) {
  if (list.length === 0) return h('p', { class: 'muted' }, 'No delivery yet.');
  return h(
    'table',
    { class: 'grid' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Event', 'State', 'Attempts', 'Last answer', 'Queued'].map((t) => h('th', {}, t)),
      ),
    ),
    h(
      'tbody',
      {},
      list.map((d) =>
        h(
          'tr',
          { dataset: { delivery: d.id, event: d.event, state: d.state } },
          h('td', {}, h('code', {}, d.event)),
          h('td', {}, badge(d.state)),
          h('td', {}, String(d.attempts.length)),
          h('td', {}, lastAttempt(d)),
          h('td', { title: new Date(d.created_at).toLocaleString() }, ago(d.created_at)),
        ),
      ),
    ),
  );
}

/** The webhooks page (admin): add, list with the newest deliveries and their outcome, test, remove. */
export function webhooksPage() {
  const form = $<HTMLFormElement>('#webhook-form');
  const result = $('#webhook-result');
  const list = $('#webhooks');
  const draw = async () => {
    const hooks: Webhook[] = await client.listWebhooks();
    const deliveries = await Promise.all(
      hooks.map((w) => client.listDeliveries(w.id, { limit: 20 })),
    );
    list.replaceChildren(
      ...hooks.map((w, i) =>
        h(
          'section',
          { class: 'card hook', dataset: { webhook: w.id } },
          h(
            'div',
            { class: 'head' },
            h('h2', {}, w.url, ' ', h('span', { class: 'muted' }, w.description ?? '')),
            h(
              'span',
              {},
              h(
                'button',
                { type: 'button', class: 'test', onclick: () => void test(w) },
                'Send test',
              ),
              ' ',
              h(
                'button',
                { type: 'button', class: 'danger', onclick: () => void remove(w) },
                'Remove',
              ),
            ),
          ),
          h(
            'p',
            { class: 'muted' },
            w.events.map((e) => h('span', { class: 'chip' }, e)),
            ` · added ${ago(w.created_at)} by ${w.created_by} · ${w.id}`,
          ),
          deliveriesTable(deliveries[i]!),
        ),
      ),
    );
    if (hooks.length === 0) list.replaceChildren(h('p', { class: 'muted' }, 'No webhook yet.'));
  };
  const test = async (w: Webhook) => {
    try {
      await client.testWebhook(w.id);
    } catch (e) {
      result.replaceChildren(h('p', { class: 'error' }, `Test refused: ${why(e)}`));
    }
    await draw();
  };
  const remove = async (w: Webhook) => {
    if (!confirm(`Remove the webhook to ${w.url}? Pending deliveries are not sent.`)) return;
    try {
      await client.deleteWebhook(w.id);
    } catch (e) {
      result.replaceChildren(h('p', { class: 'error' }, `Remove refused: ${why(e)}`));
    }
    await draw();
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const body: CreateWebhookRequest = {
      url: String(fd.get('url') || '').trim(),
      events: fd.getAll('events').map(String) as CreateWebhookRequest['events'],
    };
    const description = String(fd.get('description') || '').trim();
    if (description) body.description = description;
    try {
      const { webhook, secret } = await client.createWebhook(body);
      result.replaceChildren(
        h(
          'div',
          { class: 'notice' },
          h('p', {}, `Webhook ${webhook.id} added. Its signing secret is shown this once:`),
          secretBox('Secret', secret, 'webhook-secret'),
        ),
      );
      form.reset();
    } catch (e) {
      result.replaceChildren(h('p', { class: 'error' }, `Not added: ${why(e)}`));
    }
    await draw();
  });
  // Deliveries move on their own (retries, answers): the page re-reads every few seconds.
  const loop = () =>
    void draw()
      .catch((e) => result.replaceChildren(h('p', { class: 'error' }, why(e))))
      .finally(() => window.setTimeout(loop, 3000));
  loop();
}
