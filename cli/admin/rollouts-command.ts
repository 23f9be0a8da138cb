import { UsageError } from '../command.ts';
import { adminCommand, need, noMore } from './admin-command.ts';
import { followRollout, progressLine } from './follow.ts';
import { printJson, printTable, when } from './output.ts';

export const rolloutsCommand = adminCommand({
  name: 'rollouts',
  summary: 'list, show, follow and cancel fleet-wide installs',
  usage: `usage: rbee rollouts [ls] [--json]
       rbee rollouts show ROLLOUT [--follow] [--json]
       rbee rollouts cancel ROLLOUT

With --follow, shows a progress line until the rollout ends and exits with its outcome.`,
  flags: { follow: { type: 'boolean' } },
  async run({ client, args, values, json }) {
    const sub = args[0] ?? 'ls';
    if (sub === 'ls' || sub === 'list') {
      noMore(args, 1);
      const rollouts = await client.listRollouts();
      if (json) return printJson(rollouts);
      printTable(
        ['ID', 'WORKER', 'STATE', 'TOTAL', 'OK', 'FAILED', 'CANCELLED', 'CREATED'],
        rollouts.map((r) => [
          r.id,
          r.worker,
          r.state,
          String(r.counts.total),
          String(r.counts.succeeded),
          String(r.counts.failed),
          String(r.counts.cancelled),
          when(r.created_at),
        ]),
      );
      return 0;
    }
    if (sub === 'show') {
      noMore(args, 2);
      const id = need(args, 1, 'ROLLOUT');
      if (values.follow) return followRollout(client, id);
      const rollout = await client.getRollout(id);
      if (json) return printJson(rollout);
      process.stdout.write(`${progressLine(rollout)}\n`);
      return 0;
    }
    if (sub === 'cancel') {
      noMore(args, 2);
      const rollout = await client.cancelRollout(need(args, 1, 'ROLLOUT'));
      if (json) return printJson(rollout);
      process.stdout.write(`${progressLine(rollout)}\n`);
      return 0;
    }
    throw new UsageError(`unknown subcommand "${sub}" (ls, show, cancel)`);
  },
});
