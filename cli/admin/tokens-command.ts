import { roleSchema } from '../../shared/api/tokens.ts';
import { UsageError } from '../command.ts';
import { adminCommand, need, noMore } from './admin-command.ts';
import { printJson, printTable, when } from './output.ts';

export const tokensCommand = adminCommand({
  name: 'tokens',
  summary: 'named API tokens with a role (viewer, operator, admin)',
  usage: `usage: rbee tokens [ls] [--json]
       rbee tokens create NAME --role viewer|operator|admin [--expires-in 30d]
       rbee tokens revoke NAME
       rbee tokens whoami

create prints the token once; the edge keeps only its hash.`,
  flags: { role: { type: 'string' }, 'expires-in': { type: 'string' } },
  async run({ client, args, values, json }) {
    const sub = args[0] ?? 'ls';
    if (sub === 'ls' || sub === 'list') {
      noMore(args, 1);
      const tokens = await client.listTokens();
      if (json) return printJson(tokens);
      printTable(
        ['NAME', 'ROLE', 'CREATED', 'BY', 'EXPIRES', 'REVOKED'],
        tokens.map((t) => [
          t.name,
          t.role,
          when(t.created_at),
          t.created_by,
          when(t.expires_at),
          when(t.revoked_at),
        ]),
      );
      return 0;
    }
    if (sub === 'create') {
      noMore(args, 2);
      const role = roleSchema.safeParse(values.role);
      if (!role.success) throw new UsageError('--role must be viewer, operator or admin');
      const expires = values['expires-in'];
      const created = await client.createToken({
        name: need(args, 1, 'NAME'),
        role: role.data,
        ...(expires ? { expires_in: /^\d+$/.test(expires) ? Number(expires) : expires } : {}),
      });
      if (json) return printJson(created);
      process.stdout.write(`${created.token}\n`);
      process.stderr.write(
        `token ${created.info.name} (${created.info.role}) created; shown once\n`,
      );
      return 0;
    }
    if (sub === 'revoke') {
      noMore(args, 2);
      const { revoked } = await client.revokeToken(need(args, 1, 'NAME'));
      if (json) return printJson({ revoked });
      process.stdout.write(`revoked ${revoked}\n`);
      return 0;
    }
    if (sub === 'whoami') {
      noMore(args, 1);
      const me = await client.whoami();
      if (json) return printJson(me);
      process.stdout.write(`${me.name} (${me.role})\n`);
      return 0;
    }
    throw new UsageError(`unknown subcommand "${sub}" (ls, create, revoke, whoami)`);
  },
});
