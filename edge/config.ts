import { defaultEdgeOptions, type EdgeOptions } from './options.ts';

/** The edge's start-up options, the same under Node (`rbee edge`) and Deno (`deno task edge`). */
export type EdgeConfig = {
  port: number;
  host: string;
  /** Folder of the embedded store. */
  dataDir: string;
  /** A folder of extra workers (each `<id>/worker.json` + PKGBUILD + files), or null. */
  catalogDir: string | null;
  /** Limits and timings given on the command line; the rest keep their defaults. */
  options: Partial<EdgeOptions>;
};

export const edgeDefaults: EdgeConfig = {
  port: 8787,
  host: '0.0.0.0',
  dataDir: './.rbee',
  catalogDir: null,
  options: {},
};

/** Numeric options settable as flags: `--heartbeat-ms 15000` sets heartbeatMs. */
const optionFlags: Record<string, keyof EdgeOptions> = {
  '--heartbeat-ms': 'heartbeatMs',
  '--max-frame-bytes': 'maxFrameBytes',
  '--delivery-timeout-ms': 'deliveryTimeoutMs',
  '--max-log-bytes': 'maxLogBytesPerJob',
  '--max-messages-per-second': 'maxMessagesPerSecond',
  '--hello-timeout-ms': 'helloTimeoutMs',
};

export const edgeUsage = `usage: rbee edge [--port 8787] [--host 0.0.0.0] [--data DIR]

Starts the edge: the worker catalog, the admin API, the agent WebSocket hub and the dashboard.

options:
  --port N     TCP port to listen on (0 picks a free one; default 8787)
  --host ADDR  address to bind (default 0.0.0.0)
  --data DIR   folder of the embedded store (default ./.rbee)
  --catalog DIR  extra workers: DIR/<id>/worker.json (a catalog entry), PKGBUILD and files
  -h, --help   show this help

limits (each an integer; defaults in brackets):
${Object.entries(optionFlags)
  .map(([flag, key]) => `  ${flag.padEnd(26)} [${defaultEdgeOptions[key]}]`)
  .join('\n')}

The admin token comes from RBEE_ADMIN_TOKEN, or is generated on the first start and printed once.`;

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
  const config: EdgeConfig = { ...edgeDefaults, options: {} };
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
      case '--catalog':
        config.catalogDir = take();
        break;
      default: {
        const key = optionFlags[flag];
        if (!key) throw new EdgeConfigError(`unknown option "${arg}"`);
        const raw = take();
        if (!/^\d{1,13}$/.test(raw) || Number(raw) < 1) {
          throw new EdgeConfigError(`${flag} must be a positive integer, got "${raw}"`);
        }
        config.options[key] = Number(raw);
      }
    }
  }
  return config;
}
