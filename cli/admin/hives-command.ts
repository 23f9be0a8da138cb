import { UsageError } from '../command.ts';
import { adminCommand, need, noMore } from './admin-command.ts';
import { printJson, printTable, when } from './output.ts';

export const hivesCommand = adminCommand({
  name: 'hives',
  summary: 'list, show, enrol, remove hives and rotate their tokens',
  usage: `usage: rbee hives [ls] [--json]
       rbee hives show HIVE [--json]
       rbee hives add NAME [--label k=v ...]   (prints the hive's token once)
       rbee hives rm HIVE
       rbee hives rotate-token HIVE           (prints the new token once; the old one is cut)

HIVE is a hive's id (hive_…) or name.`,
  flags: { label: { type: 'string', multiple: true } },
  async run({ client, args, values, json }) {
    const sub = args[0] ?? 'ls';
    if (sub === 'ls' || sub === 'list') {
      noMore(args, 1);
      const hives = await client.listHives();
      if (json) return printJson(hives);
      printTable(
        ['NAME', 'ID', 'ONLINE', 'PLATFORM', 'AGENT', 'WORKERS', 'LAST SEEN'],
        hives.map((h) => [
          h.name,
          h.id,
          h.online ? 'yes' : 'no',
          h.platform ? `${h.platform.os}/${h.platform.arch}` : '-',
          h.agent_version ?? '-',
          h.installed.map((w) => `${w.id}@${w.version}`).join(',') || '-',
          when(h.last_seen),
        ]),
      );
      return 0;
    }
    if (sub === 'show') {
      noMore(args, 2);
      const hive = await client.getHive(need(args, 1, 'HIVE'));
      if (json) return printJson(hive);
      printTable(
        ['FIELD', 'VALUE'],
        [
          ['name', hive.name],
          ['id', hive.id],
          ['online', hive.online ? 'yes' : 'no'],
          [
            'labels',
            Object.entries(hive.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(',') || '-',
          ],
          ['platform', hive.platform ? `${hive.platform.os}/${hive.platform.arch}` : '-'],
          ['agent', hive.agent_version ?? '-'],
          ['installed', hive.installed.map((w) => `${w.id}@${w.version}`).join(', ') || '-'],
          ['last seen', when(hive.last_seen)],
          ['created', when(hive.created_at)],
        ],
      );
      return 0;
    }
    if (sub === 'add') {
      noMore(args, 2);
      const labels: Record<string, string> = {};
      for (const pair of values.label ?? []) {
        const eq = pair.indexOf('=');
        if (eq < 1) throw new UsageError(`--label must be key=value, got "${pair}"`);
        labels[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      const hive = await client.createHive({ name: need(args, 1, 'NAME'), labels });
      if (json) return printJson(hive);
      process.stdout.write(
        `hive ${hive.name} (${hive.id}) enrolled; its token (shown once):\n${hive.token}\n`,
      );
      return 0;
    }
    if (sub === 'rm' || sub === 'remove') {
      noMore(args, 2);
      const { deleted } = await client.deleteHive(need(args, 1, 'HIVE'));
      if (json) return printJson({ deleted });
      process.stdout.write(`removed ${deleted}\n`);
      return 0;
    }
    if (sub === 'rotate-token') {
      noMore(args, 2);
      const rotated = await client.rotateHiveToken(need(args, 1, 'HIVE'));
      if (json) return printJson(rotated);
      process.stdout.write(`${rotated.token}\n`);
      process.stderr.write(
        `hive ${rotated.name} (${rotated.id}) has a new token (shown once); the old one is cut\n`,
      );
      return 0;
    }
    throw new UsageError(`unknown subcommand "${sub}" (ls, show, add, rm, rotate-token)`);
  },
});
