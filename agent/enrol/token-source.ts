import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { AgentExitError, EXIT } from './exit-codes.ts';

/** The state folder's file that holds the hive token the agent enrolled for. */
export const HIVE_TOKEN_FILE = 'hive.token';
/** The credential name the systemd unit loads (`LoadCredential=hive.token:…`). */
export const CREDENTIAL_NAME = 'hive.token';

export type TokenSources = {
  /** `--token-file PATH`. */
  tokenFile?: string | undefined;
  /** `--token-env NAME` (default `RBEE_TOKEN`). */
  tokenEnv?: string | undefined;
  /** `--token TOKEN`: works, with a warning (every local user sees it in `ps`). */
  token?: string | undefined;
  stateDir: string;
  env?: NodeJS.ProcessEnv;
};

export type FoundToken = { token: string; from: string };

/** Reads one token from a file: its first line, which must be a whole `prefix` token. */
export async function readTokenFile(path: string, prefix: 'rbh_' | 'rbe_'): Promise<string> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.size > 4096) {
      throw new AgentExitError(
        `token file ${path} is ${info.size} bytes, more than a token`,
        EXIT.CONFIG,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof AgentExitError) throw error;
    throw new AgentExitError(
      `cannot read token file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      EXIT.CONFIG,
    );
  }
  return checkToken(text.trim(), prefix, `token file ${path}`);
}

/** A token must be the prefix and 1-256 visible characters. */
export function checkToken(token: string, prefix: 'rbh_' | 'rbe_', from: string): string {
  const what = prefix === 'rbh_' ? 'a hive token (rbh_...)' : 'an enrolment token (rbe_...)';
  if (!new RegExp(`^${prefix}[\\x21-\\x7e]{1,256}$`).test(token)) {
    throw new AgentExitError(`${from} does not hold ${what}`, EXIT.CONFIG);
  }
  return token;
}

/**
 * Finds the hive token, first match wins: `--token-file`, the systemd credential
 * (`$CREDENTIALS_DIRECTORY/hive.token`), the environment variable (`--token-env`, default
 * `RBEE_TOKEN`), `<state>/hive.token`, and last `--token`. Null when none is there.
 * @example const found = await findHiveToken({ stateDir: '/var/lib/rbee' });
 */
export async function findHiveToken(sources: TokenSources): Promise<FoundToken | null> {
  const env = sources.env ?? process.env;
  if (sources.tokenFile) {
    return { token: await readTokenFile(sources.tokenFile, 'rbh_'), from: sources.tokenFile };
  }
  const credentials = env.CREDENTIALS_DIRECTORY;
  if (credentials) {
    const path = join(credentials, CREDENTIAL_NAME);
    if (await exists(path)) return { token: await readTokenFile(path, 'rbh_'), from: path };
  }
  const name = sources.tokenEnv ?? 'RBEE_TOKEN';
  const value = env[name];
  if (value) return { token: checkToken(value.trim(), 'rbh_', `$${name}`), from: `$${name}` };
  const stored = join(sources.stateDir, HIVE_TOKEN_FILE);
  if (await exists(stored)) return { token: await readTokenFile(stored, 'rbh_'), from: stored };
  if (sources.token)
    return { token: checkToken(sources.token, 'rbh_', '--token'), from: '--token' };
  return null;
}

/** Keeps the hive token in `<state>/hive.token`, mode 0600, replacing any older one atomically. */
export async function storeHiveToken(stateDir: string, token: string): Promise<string> {
  const path = join(stateDir, HIVE_TOKEN_FILE);
  await writeFileAtomic(path, `${token}\n`, { mode: 0o600 });
  return path;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
