import { mkdir } from 'node:fs/promises';
import type { PlatformInfo } from '../../shared/protocol/index.ts';
import { enrol } from './enrol-client.ts';
import { AgentExitError, EXIT } from './exit-codes.ts';
import { machineId } from './machine-id.ts';
import {
  checkToken,
  findHiveToken,
  readTokenFile,
  storeHiveToken,
  type TokenSources,
} from './token-source.ts';

export type EnrolTokenSources = {
  /** `--enrol rbe_…` (one-time, so a command line is acceptable). */
  enrol?: string | undefined;
  /** `--enrol-file PATH`. */
  enrolFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
};

/** The enrolment token from `--enrol`, `--enrol-file` or `$RBEE_ENROL_TOKEN`, if any. */
export async function findEnrolToken(sources: EnrolTokenSources): Promise<string | null> {
  if (sources.enrol) return checkToken(sources.enrol, 'rbe_', '--enrol');
  if (sources.enrolFile) return readTokenFile(sources.enrolFile, 'rbe_');
  const value = (sources.env ?? process.env).RBEE_ENROL_TOKEN;
  return value ? checkToken(value.trim(), 'rbe_', '$RBEE_ENROL_TOKEN') : null;
}

export type ObtainOptions = TokenSources &
  EnrolTokenSources & {
    /** `http(s)://` base of the edge. */
    edge: string;
    machineId?: string | undefined;
    platform?: PlatformInfo;
    /** Enrol even when a hive token is there already (`rbee-agent enrol`). */
    force?: boolean;
    log: (line: string) => void;
  };

/**
 * The hive token the agent connects with: one it has (see findHiveToken), or, when there is
 * none and an enrolment token was given, one it enrols for and keeps in `<state>/hive.token`
 * (0600). Restarting an enrolled agent with `--enrol` still in its unit costs no use.
 * @example const token = await obtainHiveToken({ edge, stateDir, enrol: 'rbe_…', log });
 */
export async function obtainHiveToken(options: ObtainOptions): Promise<string> {
  const enrolToken = await findEnrolToken(options);
  if (!options.force || !enrolToken) {
    const found = await findHiveToken(options);
    if (found) {
      if (found.from === '--token') {
        options.log(
          'rbee agent: warning: --token puts the hive token where every local user can read it (ps, /proc); use --token-file, $RBEE_TOKEN or <state>/hive.token',
        );
      }
      return found.token;
    }
  }
  if (!enrolToken) {
    throw new AgentExitError(
      `no hive token: pass --enrol rbe_... (an enrolment token), --token-file PATH, set $${options.tokenEnv ?? 'RBEE_TOKEN'}, or put it in ${options.stateDir}/hive.token`,
      EXIT.CONFIG,
    );
  }
  // 0711: builds (another user) reach their workspace under it, but cannot list it; secrets are 0600.
  await mkdir(options.stateDir, { recursive: true, mode: 0o711 });
  const id = await machineId(options.stateDir, options.machineId);
  const result = await enrol({
    edge: options.edge,
    enrolToken,
    machineId: id,
    ...(options.platform ? { platform: options.platform } : {}),
  });
  const path = await storeHiveToken(options.stateDir, result.token);
  options.log(
    `rbee agent ${result.reenrolled ? 're-enrolled as its hive' : 'enrolled as new hive'} ${result.hive.name} (${result.hive.id}); hive token in ${path}`,
  );
  return result.token;
}
