import { WEBHOOK_EVENTS } from '../../../shared/api/webhooks.ts';
import { Layout } from '../layout.tsx';
import type { Who } from '../who.ts';

/** Webhooks (admin): add one for some events, list them with their deliveries, test, remove. */
export function WebhooksPage({ who }: { who: Who }) {
  return (
    <Layout title="Webhooks" page="webhooks" who={who}>
      <h1>Webhooks</h1>
      <p class="muted">
        The edge POSTs each event to the URL, signed with the webhook's secret (HMAC-SHA256 of the
        body, with a timestamp), and retries with backoff until the receiver answers 2xx.
      </p>
      <form id="webhook-form" class="card filters wrap">
        <label>
          URL <input type="text" name="url" required placeholder="https://ci.example/hooks/rbee" />
        </label>
        <span class="events">
          {WEBHOOK_EVENTS.map((e) => (
            <label>
              <input type="checkbox" name="events" value={e} checked={e === 'job.ended'} /> {e}
            </label>
          ))}
        </span>
        <label>
          Description <input type="text" name="description" placeholder="optional" />
        </label>
        <button type="submit" class="primary">
          Add webhook
        </button>
      </form>
      <div id="webhook-result" />
      <div id="webhooks" />
    </Layout>
  );
}
