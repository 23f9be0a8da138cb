import { readFileSync } from 'node:fs';
import { WEBHOOK_EVENTS } from '../../shared/api/webhooks.ts';
import { UsageError } from '../command.ts';
import { adminCommand, need, noMore } from './admin-command.ts';
import { printJson, printTable, when } from './output.ts';

export const webhooksCommand = adminCommand({
  name: 'webhooks',
  summary: 'webhooks for fleet events, their signed deliveries and outcomes',
  usage: `usage: rbee webhooks [ls] [--json]
       rbee webhooks add URL --event E [--event E ...] [--secret-file FILE] [--description TEXT]
       rbee webhooks show ID [--json]
       rbee webhooks rm ID
       rbee webhooks deliveries ID [--limit N] [--json]
       rbee webhooks test ID      (queues a signed ping)

events: ${WEBHOOK_EVENTS.join(', ')}
add prints the secret once (made by the edge unless --secret-file gives one); receivers check
X-Rbee-Signature with it (README: "Webhooks").`,
  flags: {
    event: { type: 'string', multiple: true },
    'secret-file': { type: 'string' },
    description: { type: 'string' },
    limit: { type: 'string' },
  },
  async run({ client, args, values, json }) {
    const sub = args[0] ?? 'ls';
    if (sub === 'ls' || sub === 'list') {
      noMore(args, 1);
      const hooks = await client.listWebhooks();
      if (json) return printJson(hooks);
      printTable(
        ['ID', 'URL', 'EVENTS', 'CREATED', 'BY'],
        hooks.map((h) => [h.id, h.url, h.events.join(','), when(h.created_at), h.created_by]),
      );
      return 0;
    }
    if (sub === 'add') {
      noMore(args, 2);
      const events = values.event ?? [];
      if (events.length === 0) throw new UsageError(`give --event (${WEBHOOK_EVENTS.join(', ')})`);
      let secret: string | undefined;
      const file = values['secret-file'];
      if (file !== undefined) {
        try {
          secret = readFileSync(file, 'utf8').trim();
        } catch (error) {
          throw new UsageError(`cannot read --secret-file ${file}: ${(error as Error).message}`);
        }
      }
      const created = await client.createWebhook({
        url: need(args, 1, 'URL'),
        events: events as (typeof WEBHOOK_EVENTS)[number][],
        ...(secret !== undefined ? { secret } : {}),
        ...(values.description ? { description: values.description } : {}),
      });
      if (json) return printJson(created);
      process.stdout.write(`${created.secret}\n`);
      process.stderr.write(
        `webhook ${created.webhook.id} → ${created.webhook.url} (${created.webhook.events.join(', ')}); its secret is shown once\n`,
      );
      return 0;
    }
    if (sub === 'show') {
      noMore(args, 2);
      const hook = await client.getWebhook(need(args, 1, 'ID'));
      if (json) return printJson(hook);
      printTable(
        ['FIELD', 'VALUE'],
        [
          ['id', hook.id],
          ['url', hook.url],
          ['events', hook.events.join(', ')],
          ['description', hook.description ?? '-'],
          ['created', when(hook.created_at)],
          ['by', hook.created_by],
        ],
      );
      return 0;
    }
    if (sub === 'rm' || sub === 'remove') {
      noMore(args, 2);
      const { deleted } = await client.deleteWebhook(need(args, 1, 'ID'));
      if (json) return printJson({ deleted });
      process.stdout.write(`removed ${deleted}\n`);
      return 0;
    }
    if (sub === 'deliveries') {
      noMore(args, 2);
      const limit = values.limit;
      if (limit !== undefined && !/^\d{1,4}$/.test(limit)) {
        throw new UsageError(`--limit must be an integer, got "${limit}"`);
      }
      const list = await client.listDeliveries(need(args, 1, 'ID'), {
        ...(limit ? { limit: Number(limit) } : {}),
      });
      if (json) return printJson(list);
      printTable(
        ['ID', 'EVENT', 'STATE', 'ATTEMPTS', 'LAST', 'CREATED'],
        list.map((d) => {
          const last = d.attempts.at(-1);
          return [
            d.id,
            d.event,
            d.state,
            String(d.attempts.length),
            last ? (last.error ?? String(last.status)) : '-',
            when(d.created_at),
          ];
        }),
      );
      return 0;
    }
    if (sub === 'test') {
      noMore(args, 2);
      const delivery = await client.testWebhook(need(args, 1, 'ID'));
      if (json) return printJson(delivery);
      process.stdout.write(`queued ${delivery.id} (ping)\n`);
      return 0;
    }
    throw new UsageError(`unknown subcommand "${sub}" (ls, add, show, rm, deliveries, test)`);
  },
});
