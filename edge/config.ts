/** The edge's start-up options, the same under Node (`rbee edge`) and Deno (`deno task edge`). */
export type EdgeConfig = {
  port: number;
  host: string;
  /** Folder of the embedded store. */
  dataDir: string;
};

export const edgeDefaults: EdgeConfig = { port: 8787, host: '0.0.0.0', dataDir: './.rbee' };

export const edgeUsage = `usage: rbee edge [--port 8787] [--host 0.0.0.0] [--data DIR]

Starts the edge: the worker catalog, the admin API, the agent WebSocket hub and the dashboard.

options:
  --port N     TCP port to listen on (0 picks a free one; default 8787)
  --host ADDR  address to bind (default 0.0.0.0)
  --data DIR   folder of the embedded store (default ./.rbee)
  -h, --help   show this help`;

/** A bad flag; the message says what was wrong and how to call it right. */
export class EdgeConfigError extends Error {
  override name = 'EdgeConfigError';
}

/**
 * Parses `--port`, `--host`, `--data` (also as `--flag=value`), refusing anything else.
 * Runtime-neutral on purpose: Node's CLI and the Deno entry share it.
 * @example parseEdgeArgs(['--port', '0']) // { port: 0, host: '0.0.0.0', dataDir: './.rbee' }
 */
export function parseEdgeArgs(argv: readonly string[]): EdgeConfig {
  const config = { ...edgeDefaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const take = (): string => {
      if (eq !== -1) return arg.slice(eq + 1);
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) {
        throw new EdgeConfigError(`${flag} needs a value`);
      }
      return value;
    };
    switch (flag) {
      case '--port': {
        const raw = take();
        const port = Number(raw);
        if (!/^\d+$/.test(raw) || port > 65535) {
          throw new EdgeConfigError(`--port must be an integer from 0 to 65535, got "${raw}"`);
        }
        config.port = port;
        break;
      }
      case '--host':
        config.host = take();
        break;
      case '--data':
        config.dataDir = take();
        break;
      default:
        throw new EdgeConfigError(`unknown option "${arg}"`);
    }
  }
  return config;
}
