import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { readPublicKey } from '../../shared/catalog/signature.ts';
import { FlagError, parseFlags } from '../../shared/cli/parse-flags.ts';
import { AgentExitError, EXIT } from '../enrol/exit-codes.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { rollbackScript } from '../upgrade/rollback-script.ts';
import { LAUNCHD_LABEL, launchdPlist } from './launchd-plist.ts';
import { prefixFiles, type ServiceSpec } from './service-spec.ts';
import { SYSTEMD_UNIT_NAME, systemdUnit } from './systemd-unit.ts';

export const installServiceUsage = `usage: rbee-agent install-service --edge URL [--prefix /opt/rbee] [--state DIR] [--user root]

Writes the agent's service: a systemd unit on Linux (rbee-agent.service), a launchd daemon on
macOS (${LAUNCHD_LABEL}), and <prefix>/bin/rbee-agent-rollback; then enables and starts it
when the service manager is running (not with --no-start).

options:
  --edge URL          the edge the agent dials
  --prefix DIR        where the agent file lives: DIR/rbee-agent.mjs (default /opt/rbee);
                      the running agent file is copied there when it is elsewhere
  --state DIR         the agent's state folder, with hive.token (default /var/lib/rbee)
  --user NAME         the user the service runs as (default root)
  --install-root DIR  passed to the agent (default: / as root)
  --trust-key FILE    a fleet public key (PEM, rbee keys generate) the agent trusts; repeatable.
                      Copied to <prefix>/trust/<key id>.pub and passed to the agent
  --allow-unsigned    the agent also runs workers no fleet key signed (whoever controls the
                      edge is then root on this hive); without it a --trust-key is required
  --allow-agent-upgrades
                      passed to the agent: upgrade jobs may replace it with a file no fleet key
                      signed (see rbee-agent run --help)
  --node PATH         the node binary (default: the one running this)
  --unit-dir DIR      where the unit goes (default /etc/systemd/system; launchd: /Library/LaunchDaemons)
  --os linux|darwin   which service to write (default: this machine's)
  --no-start          write the files only`;

const flagSpec = {
  edge: { type: 'string' },
  prefix: { type: 'string' },
  state: { type: 'string' },
  user: { type: 'string' },
  'install-root': { type: 'string' },
  node: { type: 'string' },
  'unit-dir': { type: 'string' },
  os: { type: 'string' },
  'no-start': { type: 'boolean' },
  'trust-key': { type: 'string', multiple: true },
  'allow-unsigned': { type: 'boolean' },
  'allow-agent-upgrades': { type: 'boolean' },
} as const;

function flags<S extends Parameters<typeof parseFlags>[1]>(argv: string[], spec: S) {
  try {
    return parseFlags(argv, spec).values;
  } catch (error) {
    if (error instanceof FlagError) throw new AgentExitError(error.message, EXIT.CONFIG);
    throw error;
  }
}

/** Runs a service manager command, saying what failed. */
function manage(cmd: string, args: string[], log: (line: string) => void) {
  log(`$ ${cmd} ${args.join(' ')}`);
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (error) {
    throw new AgentExitError(
      `${cmd} ${args.join(' ')} failed: ${(error as Error).message}`,
      EXIT.CONFIG,
    );
  }
}

const systemdRunning = () => existsSync('/run/systemd/system');

/**
 * Checks each fleet key and copies it to `<dir>/<key id>.pub` (0644), so the unit names files
 * that outlive wherever the keys came from; returns those paths. A bad key is a refusal (78).
 */
async function installTrustKeys(
  files: string[],
  dir: string,
  log: (line: string) => void,
): Promise<string[]> {
  const installed: string[] = [];
  for (const file of files) {
    let key: Awaited<ReturnType<typeof readPublicKey>>;
    try {
      key = await readPublicKey(await readFile(file, 'utf8'));
    } catch (error) {
      throw new AgentExitError(
        `BAD_TRUST_KEY: cannot use --trust-key ${file}: ${(error as Error).message}`,
        EXIT.CONFIG,
      );
    }
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const path = join(dir, `${key.id}.pub`);
    await writeFileAtomic(path, key.pem.endsWith('\n') ? key.pem : `${key.pem}\n`, {
      mode: 0o644,
    });
    if (!installed.includes(path)) installed.push(path);
    log(`trusted fleet key ${key.id}: ${path}`);
  }
  return installed;
}

export type InstalledService = { kind: 'systemd' | 'launchd'; path: string; started: boolean };

/**
 * `rbee-agent install-service`: the unit (or plist) and the rollback script, written
 * atomically; started when the service manager runs and --no-start is not given.
 * @example await installService(['--edge', 'https://edge', '--no-start'], { bundle }, log);
 */
export async function installService(
  argv: string[],
  running: { bundle: string },
  log: (line: string) => void,
): Promise<InstalledService> {
  const values = flags(argv, flagSpec);
  if (!values.edge) throw new AgentExitError('install-service needs --edge URL', EXIT.CONFIG);
  const os = values.os ?? (process.platform === 'darwin' ? 'darwin' : 'linux');
  if (os !== 'linux' && os !== 'darwin') {
    throw new AgentExitError(`--os must be linux or darwin, got "${os}"`, EXIT.CONFIG);
  }
  const prefix = resolve(values.prefix ?? '/opt/rbee');
  const files = prefixFiles(prefix);
  const trustKeys = await installTrustKeys(values['trust-key'] ?? [], files.trust, log);
  if (trustKeys.length === 0 && !values['allow-unsigned']) {
    throw new AgentExitError(
      'NO_TRUSTED_KEY: the agent runs only what the fleet key signed: give --trust-key FILE (the fleet public key), or --allow-unsigned to run whatever the edge sends',
      EXIT.CONFIG,
    );
  }
  const spec: ServiceSpec = {
    node: values.node ?? process.execPath,
    bundle: files.bundle,
    rollback: files.rollback,
    edge: values.edge,
    stateDir: resolve(values.state ?? '/var/lib/rbee'),
    user: values.user ?? 'root',
    installRoot: values['install-root'],
    trustKeys,
    allowUnsigned: values['allow-unsigned'] ?? false,
    allowAgentUpgrades: values['allow-agent-upgrades'] ?? false,
  };
  await mkdir(dirname(files.rollback), { recursive: true });
  if (resolve(running.bundle) !== files.bundle) {
    await copyFile(running.bundle, `${files.bundle}.tmp`);
    await chmod(`${files.bundle}.tmp`, 0o755);
    await rename(`${files.bundle}.tmp`, files.bundle);
    log(`agent file: ${files.bundle}`);
  }
  await writeFileAtomic(files.rollback, rollbackScript(files.bundle, spec.stateDir), {
    mode: 0o755,
  });
  const start = !values['no-start'];
  if (os === 'darwin') {
    const dir = values['unit-dir'] ?? '/Library/LaunchDaemons';
    const path = join(dir, `${LAUNCHD_LABEL}.plist`);
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(path, launchdPlist(spec), { mode: 0o644 });
    log(`launchd daemon: ${path}`);
    const started = start && process.platform === 'darwin';
    if (started) {
      try {
        execFileSync('launchctl', ['bootout', `system/${LAUNCHD_LABEL}`], { stdio: 'ignore' });
      } catch {
        // not loaded yet
      }
      manage('launchctl', ['bootstrap', 'system', path], log);
    }
    return { kind: 'launchd', path, started };
  }
  const dir = values['unit-dir'] ?? '/etc/systemd/system';
  const path = join(dir, SYSTEMD_UNIT_NAME);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path, systemdUnit(spec), { mode: 0o644 });
  log(`systemd unit: ${path}`);
  const started = start && systemdRunning();
  if (started) {
    manage('systemctl', ['daemon-reload'], log);
    manage('systemctl', ['enable', SYSTEMD_UNIT_NAME], log);
    manage('systemctl', ['restart', SYSTEMD_UNIT_NAME], log);
  } else if (start) {
    log(
      'systemd is not running here: start the agent with `systemctl enable --now rbee-agent` once it is',
    );
  }
  return { kind: 'systemd', path, started };
}

/** `rbee-agent uninstall-service`: stops and removes the unit (or plist) and the rollback script. */
export async function uninstallService(argv: string[], log: (line: string) => void): Promise<void> {
  const values = flags(argv, {
    prefix: { type: 'string' },
    'unit-dir': { type: 'string' },
    os: { type: 'string' },
  } as const);
  const os = values.os ?? (process.platform === 'darwin' ? 'darwin' : 'linux');
  const files = prefixFiles(resolve(values.prefix ?? '/opt/rbee'));
  if (os === 'darwin') {
    const path = join(values['unit-dir'] ?? '/Library/LaunchDaemons', `${LAUNCHD_LABEL}.plist`);
    if (process.platform === 'darwin') {
      try {
        execFileSync('launchctl', ['bootout', `system/${LAUNCHD_LABEL}`], { stdio: 'ignore' });
      } catch {
        // not loaded
      }
    }
    await rm(path, { force: true });
    log(`removed ${path}`);
  } else {
    const path = join(values['unit-dir'] ?? '/etc/systemd/system', SYSTEMD_UNIT_NAME);
    if (systemdRunning() && !values['unit-dir']) {
      manage('systemctl', ['disable', '--now', SYSTEMD_UNIT_NAME], log);
    }
    await rm(path, { force: true });
    if (systemdRunning() && !values['unit-dir']) manage('systemctl', ['daemon-reload'], log);
    log(`removed ${path}`);
  }
  await rm(files.rollback, { force: true });
}
