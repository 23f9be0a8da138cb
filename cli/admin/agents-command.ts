import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { bundleVersion } from '../../edge/routes/agent-files.ts';
import type { UpgradeAgentsRequest } from '../../shared/api/agents.ts';
import { signAgentRelease } from '../../shared/catalog/agent-release.ts';
import { readPrivateKey } from '../../shared/catalog/signature.ts';
import { UsageError } from '../command.ts';
import { adminCommand, noMore } from './admin-command.ts';
import { followRollout } from './follow.ts';
import { int, parseSelector } from './install-command.ts';
import { printJson } from './output.ts';

/**
 * `rbee agents`: moving hives to the agent the edge serves (a rollout of upgrade jobs), and
 * signing that agent file with the fleet key so agents that trust the key take it.
 */
export const agentsCommand = adminCommand({
  name: 'agents',
  summary:
    'admin: upgrade hives to the edge agent (a rollout), sign agent files with the fleet key',
  usage: `usage: rbee agents upgrade (--hives A,B | --selector k=v ...) [options]
       rbee agents sign --key FLEET.key [BUNDLE]

upgrade: a rollout of upgrade jobs to the agent file this edge serves (GET /agent/version).
Hives already at that version, or whose agent cannot replace itself, are skipped (listed on
stderr). Agents that trust a fleet key take the file only when that key signed it.
  --hives A,B            these hives (ids or names)
  --selector k=v         every hive matching all (os=, arch=, accelerator=, or a label)
  --canary N             this many hives first; the rest wait until all of them succeeded
  --max-concurrency N    upgrades in progress at once
  --max-errors N         failures after which the waiting upgrades are cancelled
  --timeout-ms N         how long one upgrade may take, restart included (default 10 minutes)
  -f, --follow           a progress line until the rollout ends; exits with its outcome

sign: signs BUNDLE (default dist/rbee-agent.mjs, what npm run build:agent writes) with the
fleet's private key: its version (line 2), sha256 and size. The edge stores the signature and
puts it in every upgrade job for that file; it cannot make one. Sign the file you built, not
one fetched from the edge, and sign again after every rebuild.`,
  flags: {
    hives: { type: 'string' },
    selector: { type: 'string', multiple: true },
    canary: { type: 'string' },
    'max-concurrency': { type: 'string' },
    'max-errors': { type: 'string' },
    'timeout-ms': { type: 'string' },
    follow: { type: 'boolean' },
    key: { type: 'string' },
  },
  async run({ client, args, values, json }) {
    const sub = args[0];
    if (sub === 'upgrade') {
      noMore(args, 1);
      if ((values.hives === undefined) === (values.selector === undefined))
        throw new UsageError('give exactly one of --hives or --selector');
      const body: UpgradeAgentsRequest = values.hives
        ? { hives: values.hives.split(',').filter(Boolean) }
        : { selector: parseSelector(values.selector!) };
      const canary = int('--canary', values.canary);
      const concurrency = int('--max-concurrency', values['max-concurrency']);
      const errors = int('--max-errors', values['max-errors']);
      const timeout = int('--timeout-ms', values['timeout-ms']);
      if (canary) body.canary = canary;
      if (concurrency) body.max_concurrency = concurrency;
      if (errors) body.max_errors = errors;
      if (timeout) body.timeout_ms = timeout;
      const created = await client.upgradeAgents(body);
      if (json && !values.follow) return printJson(created);
      const { agent, rollout, skipped } = created;
      const signed = agent.signed_by
        ? `signed by fleet key ${agent.signed_by}`
        : 'NOT signed by a fleet key: agents that trust one refuse it (UNSIGNED_AGENT); sign it with rbee agents sign --key FLEET.key';
      process.stderr.write(
        `rollout ${rollout.id}: upgrade ${rollout.counts.total} hive${rollout.counts.total === 1 ? '' : 's'} to agent ${agent.version} (${signed})\n`,
      );
      for (const s of skipped)
        process.stderr.write(`skipped ${s.name} (${s.reason}): ${s.message}\n`);
      return values.follow ? followRollout(client, rollout.id) : 0;
    }
    if (sub === 'sign') {
      noMore(args, 2);
      if (!values.key) throw new UsageError('--key FILE is required (the fleet private key)');
      const file = resolve(args[1] ?? 'dist/rbee-agent.mjs');
      const fleetKey = await readFile(values.key, 'utf8')
        .then(readPrivateKey)
        .catch((error: Error) => {
          throw new UsageError(`cannot use --key ${values.key}: ${error.message}`);
        });
      const bytes = new Uint8Array(
        await readFile(file).catch((error: Error) => {
          throw new UsageError(`cannot read the agent file ${file}: ${error.message}`);
        }),
      );
      const version = bundleVersion(bytes);
      if (!version)
        throw new UsageError(
          `${file} is not an agent bundle: its second line is not "// rbee-agent VERSION" (npm run build:agent writes one)`,
        );
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const stored = await client.signAgent(
        await signAgentRelease({ version, sha256, size: bytes.length }, fleetKey, Date.now()),
      );
      if (json) return printJson(stored);
      process.stdout.write(
        `signed agent ${version} (sha256 ${sha256}, ${bytes.length} bytes) with fleet key ${fleetKey.id}${stored.serving ? '' : '; the edge serves another file now: it is used once the edge serves this one'}\n`,
      );
      return 0;
    }
    throw new UsageError(
      sub === undefined
        ? 'missing subcommand: upgrade or sign'
        : `unknown subcommand "${sub}": upgrade or sign`,
    );
  },
});
