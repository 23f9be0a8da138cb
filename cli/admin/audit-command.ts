import { UsageError } from '../command.ts';
import { adminCommand, noMore } from './admin-command.ts';
import { printJson, printTable, when } from './output.ts';

export const auditCommand = adminCommand({
  name: 'audit',
  summary: 'who changed what, when and from where (newest first)',
  usage: `usage: rbee audit [--since ISO-TIME|MS] [--actor NAME] [--action ACTION] [--limit N] [--json]`,
  flags: {
    since: { type: 'string' },
    actor: { type: 'string' },
    action: { type: 'string' },
    limit: { type: 'string' },
  },
  async run({ client, args, values, json }) {
    noMore(args, 0);
    let since: number | undefined;
    if (values.since !== undefined) {
      since = /^\d+$/.test(values.since) ? Number(values.since) : Date.parse(values.since);
      if (Number.isNaN(since))
        throw new UsageError(`--since must be a time, got "${values.since}"`);
    }
    if (values.limit !== undefined && !/^\d{1,4}$/.test(values.limit)) {
      throw new UsageError(`--limit must be an integer from 1 to 1000, got "${values.limit}"`);
    }
    const entries = await client.audit({
      ...(since !== undefined ? { since } : {}),
      ...(values.actor ? { actor: values.actor } : {}),
      ...(values.action ? { action: values.action } : {}),
      ...(values.limit ? { limit: Number(values.limit) } : {}),
    });
    if (json) return printJson(entries);
    printTable(
      ['TIME', 'ACTOR', 'ROLE', 'ACTION', 'STATUS', 'SOURCE', 'TARGET'],
      entries.map((e) => [
        when(e.at),
        e.actor,
        e.role,
        e.action,
        String(e.status),
        e.source ?? '-',
        e.target ?? '-',
      ]),
    );
    return 0;
  },
});
