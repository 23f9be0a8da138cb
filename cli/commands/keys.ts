import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { generateKeyPair } from '../../shared/catalog/signature.ts';
import { type Command, parseFlags, UsageError } from '../command.ts';

const usage = `usage: rbee keys generate --out PREFIX

Makes the fleet's Ed25519 signing key pair: PREFIX.key (private, mode 0600: keep it with the
fleet's admins, never on the edge) and PREFIX.pub (public: give it to every agent with
--trust-key). Refuses to overwrite an existing key.`;

/** Writes a fresh key pair; `wx` so an existing key is never replaced by accident. */
export async function generateKeyFiles(
  prefix: string,
): Promise<{ id: string; key: string; pub: string }> {
  const pair = await generateKeyPair();
  const key = resolve(`${prefix}.key`);
  const pub = resolve(`${prefix}.pub`);
  await mkdir(dirname(key), { recursive: true });
  await writeFile(key, pair.privatePem, { mode: 0o600, flag: 'wx' });
  await writeFile(pub, pair.publicPem, { mode: 0o644, flag: 'wx' });
  return { id: pair.id, key, pub };
}

/** `rbee keys generate --out PREFIX`. */
export const keysCommand: Command = {
  name: 'keys',
  summary: "make the fleet's signing key pair (rbee keys generate --out PREFIX)",
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { out: { type: 'string' } }, true);
    if (positionals[0] !== 'generate' || positionals.length !== 1) {
      throw new UsageError(
        'the only keys subcommand is "generate": rbee keys generate --out PREFIX',
      );
    }
    if (!values.out)
      throw new UsageError('--out PREFIX is required (writes PREFIX.key and PREFIX.pub)');
    try {
      const made = await generateKeyFiles(values.out);
      process.stdout.write(
        `key ${made.id}\n  private: ${made.key} (mode 0600, keep it off the edge)\n  public:  ${made.pub} (give to agents: --trust-key ${made.pub})\n`,
      );
      return 0;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        process.stderr.write(
          `rbee keys: KEY_EXISTS: ${values.out}.key or .pub exists; not overwritten\n`,
        );
        return 1;
      }
      throw error;
    }
  },
};
