#!/usr/bin/env node
/**
 * `rbee-agent`: the hive agent as one file (`npm run build:agent` → dist/rbee-agent.mjs), run
 * with plain `node` on a hive. Subcommands: run (the agent), enrol, install-service,
 * uninstall-service, self-check, version. Exit codes: agent/enrol/exit-codes.ts.
 */
import { fileURLToPath } from 'node:url';
import { edgeUrls } from '../agent/connection/edge-url.ts';
import { AgentExitError, EXIT } from '../agent/enrol/exit-codes.ts';
import { obtainHiveToken } from '../agent/enrol/hive-token.ts';
import { findHiveToken } from '../agent/enrol/token-source.ts';
import {
  installService,
  installServiceUsage,
  uninstallService,
} from '../agent/service/install-service.ts';
import { startUpgrader } from '../agent/upgrade/upgrader.ts';
import { FlagError, parseFlags } from '../shared/cli/parse-flags.ts';
import { isNewer } from '../shared/protocol/version-compare.ts';
import { UsageError } from './command.ts';
import { agentCommand, runAgent } from './commands/agent.ts';

/** Set by scripts/build-agent.mjs; undefined when run from the repository with tsx. */
declare const __RBEE_AGENT_VERSION__: string | undefined;
const VERSION = typeof __RBEE_AGENT_VERSION__ === 'string' ? __RBEE_AGENT_VERSION__ : undefined;
/** True in the single executable (scripts/build-agent.mjs buildSea): the file is node itself. */
declare const __RBEE_SEA__: boolean | undefined;
const SEA = typeof __RBEE_SEA__ === 'boolean' && __RBEE_SEA__;
const bundle = SEA ? process.execPath : fileURLToPath(import.meta.url);
const log = (line: string) => process.stdout.write(`${line}\n`);

const help = `usage: rbee-agent <command> [options]

commands:
  run                the agent (see 'rbee-agent run --help')
  enrol              exchange an enrolment token for this machine's hive token, then exit
  install-service    write and start the systemd unit / launchd daemon
  uninstall-service  stop and remove it
  self-check         load, read the hive token and reach the edge, then exit (upgrades use it)
  version            print the version

exit codes: 75 temporary (retry), 77 refused (bad, used up, expired or revoked token),
78 configuration.`;

function flags<S extends Parameters<typeof parseFlags>[1]>(argv: string[], spec: S) {
  try {
    return parseFlags(argv, spec).values;
  } catch (error) {
    if (error instanceof FlagError) throw new AgentExitError(error.message, EXIT.CONFIG);
    throw error;
  }
}

const edgeHttp = (edge: string | undefined) => {
  if (!edge) throw new AgentExitError('--edge URL is required', EXIT.CONFIG);
  try {
    return edgeUrls(edge).http;
  } catch (error) {
    throw new AgentExitError((error as Error).message, EXIT.CONFIG);
  }
};

/** Reaches `GET /agent/me` with the hive token: proof that this file runs and the token works. */
async function selfCheck(argv: string[]): Promise<number> {
  const values = flags(argv, { edge: { type: 'string' }, state: { type: 'string' } } as const);
  const edge = edgeHttp(values.edge);
  const found = await findHiveToken({ stateDir: values.state ?? '.rbee/agent' });
  if (!found) throw new AgentExitError('self-check: no hive token ($RBEE_TOKEN)', EXIT.CONFIG);
  let res: Response;
  try {
    res = await fetch(`${edge}/agent/me`, {
      headers: { Authorization: `Bearer ${found.token}` },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new AgentExitError(
      `self-check: cannot reach ${edge}: ${(error as Error).message}`,
      EXIT.TEMPFAIL,
    );
  }
  if (res.status === 401)
    throw new AgentExitError('self-check: the edge refused the hive token', EXIT.NOPERM);
  if (!res.ok)
    throw new AgentExitError(`self-check: ${edge}/agent/me answered ${res.status}`, EXIT.TEMPFAIL);
  const me = (await res.json()) as { hive: string };
  log(`rbee-agent ${VERSION ?? 'dev'} ok hive ${me.hive}`);
  return EXIT.OK;
}

async function enrolCommand(argv: string[]): Promise<number> {
  const values = flags(argv, {
    edge: { type: 'string' },
    enrol: { type: 'string' },
    'enrol-file': { type: 'string' },
    state: { type: 'string' },
    'machine-id': { type: 'string' },
  } as const);
  await obtainHiveToken({
    edge: edgeHttp(values.edge),
    stateDir: values.state ?? '.rbee/agent',
    enrol: values.enrol,
    enrolFile: values['enrol-file'],
    machineId: values['machine-id'],
    force: true,
    log,
  });
  return EXIT.OK;
}

function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    log(agentCommand.usage.replace('rbee agent', 'rbee-agent run'));
    return Promise.resolve(EXIT.OK);
  }
  // The single executable is replaced by reinstalling it: upgrade jobs swap the .mjs bundle.
  const upgrades = VERSION !== undefined && !SEA && process.env.RBEE_UPGRADE !== 'off';
  return runAgent(argv, {
    ...(VERSION ? { version: VERSION } : {}),
    attach: async (context) => {
      if (!upgrades) return {};
      try {
        const upgrader = await startUpgrader({
          bundle,
          version: VERSION!,
          edge: context.edge,
          token: context.token,
          stateDir: context.stateDir,
          log: context.log,
          exit: context.exit,
          ...(process.env.RBEE_UPGRADE_DEADLINE_MS
            ? { deadlineMs: Number(process.env.RBEE_UPGRADE_DEADLINE_MS) }
            : {}),
        });
        return {
          upgrade: { run: upgrader.run, resume: upgrader.resume },
          onWelcome: (welcome) => {
            upgrader.onWelcome();
            if (welcome.agent && isNewer(welcome.agent.version, VERSION!)) {
              context.log(
                `rbee agent: the edge serves agent ${welcome.agent.version} (this is ${VERSION}); an admin upgrades it with POST /api/agents/upgrade`,
              );
            }
          },
        };
      } catch (error) {
        context.log(`rbee agent: upgrades off: ${(error as Error).message}`);
        return {};
      }
    },
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      process.stderr.write(`${help}\n`);
      return EXIT.CONFIG;
    case '-h':
    case '--help':
    case 'help':
      log(help);
      return EXIT.OK;
    case 'version':
    case '--version':
      log(
        `rbee-agent ${VERSION ?? 'dev'}${SEA ? ` (single executable, node ${process.versions.node})` : ''}`,
      );
      return EXIT.OK;
    case 'run':
      return run(rest);
    case 'enrol':
      return enrolCommand(rest);
    case 'self-check':
      return selfCheck(rest);
    case 'install-service':
      if (rest.includes('--help')) {
        log(installServiceUsage);
        return EXIT.OK;
      }
      await installService(rest, { bundle }, log);
      return EXIT.OK;
    case 'uninstall-service':
      await uninstallService(rest, log);
      return EXIT.OK;
    default:
      process.stderr.write(`rbee-agent: unknown command "${command}"\n${help}\n`);
      return EXIT.CONFIG;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof AgentExitError) {
      process.stderr.write(`rbee-agent: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    if (error instanceof UsageError) {
      process.stderr.write(`rbee-agent: ${error.message}\n`);
      process.exit(EXIT.CONFIG);
    }
    process.stderr.write(
      `rbee-agent: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
