import { readFileSync } from 'node:fs';
import { type Client, createClient } from '../../shared/client/create-client.ts';
import { UsageError } from '../command.ts';

/** The flags every admin command takes. */
export const connectionFlags = {
  edge: { type: 'string' },
  'token-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const connectionHelp = `connection (every admin command):
  --edge URL         the edge (default: $RBEE_EDGE, else http://localhost:8787)
  --token-file FILE  a file holding the token (default: $RBEE_ADMIN_TOKEN, or $RBEE_TOKEN)
  --json             print the answer as JSON instead of a table`;

/**
 * The client for `--edge` / `RBEE_EDGE` and `--token-file` / `RBEE_ADMIN_TOKEN`. A token file is
 * read whole and trimmed, so `echo $TOKEN > file` works.
 */
export function connect(
  values: { edge?: string; 'token-file'?: string },
  env: NodeJS.ProcessEnv = process.env,
): Client {
  const edge = values.edge ?? env.RBEE_EDGE ?? 'http://localhost:8787';
  if (!/^https?:\/\/[^/]/.test(edge)) {
    throw new UsageError(`--edge must be an http:// or https:// URL, got "${edge}"`);
  }
  let token = env.RBEE_ADMIN_TOKEN || env.RBEE_TOKEN || undefined;
  const file = values['token-file'];
  if (file !== undefined) {
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new UsageError(`cannot read --token-file ${file}: ${(error as Error).message}`);
    }
    if (!token) throw new UsageError(`--token-file ${file} is empty`);
  }
  return createClient({ edge, ...(token ? { token } : {}) });
}
