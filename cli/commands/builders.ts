import { readFile } from 'node:fs/promises';
import { readPrivateKey } from '../../shared/catalog/signature.ts';
import { signBuilderSet } from '../../shared/repo/build-record.ts';
import { adminCommand, need, noMore } from '../admin/admin-command.ts';
import { printJson, printTable, when } from '../admin/output.ts';
import { UsageError } from '../command.ts';

/**
 * `rbee builders`: which hives may fill the package cache, and the set of their keys signed
 * with the fleet key, so agents install only what a builder the admins trust has built.
 */
export const buildersCommand = adminCommand({
  name: 'builders',
  summary: 'admin: builder hives of the package cache, and signing their keys with the fleet key',
  usage: `usage: rbee builders [ls] [--json]
       rbee builders add HIVE      (the hive may upload what it builds to the package cache)
       rbee builders rm HIVE
       rbee builders sign --key FLEET.key

A builder's agent registers a key of its own with the edge when it connects. 'sign' signs the
set of builder keys with the fleet's private key (the one that signs the catalog) and stores it
on the edge; agents install a cached package only when its build record is signed by a key of
that set. Sign again after adding or removing a builder. Check the key ids it prints against
each builder's agent log ('builder key …') before you sign.`,
  flags: { key: { type: 'string' } },
  async run({ client, args, values, json }) {
    const sub = args[0] ?? 'ls';
    if (sub === 'ls' || sub === 'list') {
      noMore(args, 1);
      const list = await client.listBuilders();
      if (json) return printJson(list);
      printTable(
        ['NAME', 'HIVE', 'KEY', 'SIGNED', 'REGISTERED'],
        list.builders.map((b) => [
          b.name,
          b.hive,
          b.key_id ?? '- (agent not connected yet)',
          b.signed ? 'yes' : 'no',
          when(b.registered_at),
        ]),
      );
      process.stdout.write(
        list.signed
          ? `builder set signed by key ${list.signed.key_id} at ${new Date(list.signed.signed_at).toISOString()}${list.current ? '' : ' (out of date: run rbee builders sign)'}\n`
          : 'no builder set signed yet: rbee builders sign --key FLEET.key\n',
      );
      return 0;
    }
    if (sub === 'add' || sub === 'rm' || sub === 'remove') {
      noMore(args, 2);
      const hive = await client.setBuilder(need(args, 1, 'HIVE'), sub === 'add');
      if (json) return printJson(hive);
      process.stdout.write(
        `${hive.name} (${hive.id}) ${hive.builder ? 'is a builder' : 'is no longer a builder'}; key ${hive.builder_key_id ?? 'not registered yet'}. Sign the builder set again: rbee builders sign --key FLEET.key\n`,
      );
      return 0;
    }
    if (sub === 'sign') {
      noMore(args, 1);
      if (!values.key) throw new UsageError('--key FILE is required (the fleet private key)');
      const fleetKey = await readPrivateKey(await readFile(values.key, 'utf8'));
      const { builders } = await client.listBuilders();
      const entries = builders.flatMap((b) =>
        b.key_id && b.public_key
          ? [{ hive: b.hive, name: b.name, key_id: b.key_id, public_key: b.public_key }]
          : [],
      );
      for (const b of builders.filter((x) => !x.key_id))
        process.stderr.write(
          `rbee builders: ${b.name} has registered no key yet (its agent does on connect); left out\n`,
        );
      const stored = await client.putBuilderSet(
        await signBuilderSet(entries, fleetKey, Date.now()),
      );
      if (json) return printJson(stored);
      process.stdout.write(
        `signed ${stored.builders} builders with key ${fleetKey.id}: ${entries.map((e) => `${e.name} ${e.key_id}`).join(', ') || 'none'}\n`,
      );
      return 0;
    }
    throw new UsageError(`unknown subcommand "${sub}": ls, add, rm or sign`);
  },
});
