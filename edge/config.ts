import { FlagError, type FlagSpec, parseFlags } from '../shared/cli/parse-flags.ts';
import { defaultEdgeOptions, type EdgeOptions } from './options.ts';
import { storeConfigFrom } from './store/store-flags.ts';

/** The edge's start-up options, the same under Node (`rbee edge`) and Deno (`deno task edge`). */
export type EdgeConfig = {
  port: number;
  host: string;
  /** Folder of the embedded store. */
  dataDir: string;
  /** A folder of extra workers (each `<id>/worker.json` + PKGBUILD + files), or null. */
  catalogDir: string | null;
  /** Signed statements for the catalog's workers (`rbee catalog sign --out DIR`), or null. */
  statementsDir?: string | null;
  /** PEM certificate chain and key: the edge serves https and wss itself (Node). */
  tlsCert?: string | null;
  tlsKey?: string | null;
  /** Limits and timings given on the command line; the rest keep their defaults. */
  options: Partial<EdgeOptions>;
  /** `redis://…` for the Redis engine; null for the embedded KV file under dataDir. */
  store?: string | null;
  /** Start on a Redis that does not fsync every write (warns instead of refusing). */
  relaxedDurability?: boolean;
  /** This instance's name in /health, /api/hives/:id and the presence leases. */
  instanceId?: string | null;
};

export const edgeDefaults: EdgeConfig = {
  port: 8787,
  host: '0.0.0.0',
  dataDir: './.rbee',
  catalogDir: null,
  statementsDir: null,
  tlsCert: null,
  tlsKey: null,
  options: {},
};

/** Numeric options settable as flags: `--heartbeat-ms 15000` sets heartbeatMs. */
/** The options that are numbers (limits and timings), each settable as a flag. */
type NumericOption = {
  [K in keyof EdgeOptions]: EdgeOptions[K] extends number ? K : never;
}[keyof EdgeOptions];

const optionFlags: Record<string, NumericOption> = {
  '--heartbeat-ms': 'heartbeatMs',
  '--max-frame-bytes': 'maxFrameBytes',
  '--delivery-timeout-ms': 'deliveryTimeoutMs',
  '--max-log-bytes': 'maxLogBytesPerJob',
  '--max-messages-per-second': 'maxMessagesPerSecond',
  '--hello-timeout-ms': 'helloTimeoutMs',
  '--max-package-bytes': 'maxPackageBytes',
  '--keep-package-versions': 'keepPackageVersions',
  '--job-ttl-ms': 'jobTtlMs',
  '--webhook-attempts': 'webhookAttempts',
  '--webhook-backoff-ms': 'webhookBackoffMs',
  '--webhook-timeout-ms': 'webhookTimeoutMs',
  '--dashboard-poll-ms': 'dashboardPollMs',
};

export const edgeUsage = `usage: rbee edge [--port 8787] [--host 0.0.0.0] [--data DIR]

Starts the edge: the worker catalog, the admin API, the agent WebSocket hub and the dashboard.

options:
  --port N     TCP port to listen on (0 picks a free one; default 8787)
  --host ADDR  address to bind (default 0.0.0.0)
  --data DIR   folder of the embedded store (default ./.rbee)
  --catalog DIR  extra workers: DIR/<id>/worker.json (a catalog entry), PKGBUILD and files
  --statements DIR  signed statements DIR/<id>/statement.json (rbee catalog sign --out DIR)
  --tls-cert FILE --tls-key FILE  serve https:// and wss:// with this PEM certificate and key
  --store URL  redis://[user:pass@]host:port/db for many instances on one Redis, or kv:PATH
               for a KV file (default: the KV file under --data)
  --store-durability strict|relaxed  strict (default) refuses a Redis without appendonly yes
               and appendfsync always; relaxed starts anyway with a warning
  --instance-id ID  this instance's name (default: hostname-pid)
  --job-retention 30d  remove jobs (and their logs) that ended longer ago (default: keep)
  --log-retention 7d   remove the logs of jobs that ended longer ago; the jobs stay
  --metrics-token T  the bearer token Prometheus sends for /metrics;
               without it, any API token opens /metrics
  -h, --help   show this help

limits (each an integer; defaults in brackets):
${Object.entries(optionFlags)
  .map(([flag, key]) => `  ${flag.padEnd(26)} [${defaultEdgeOptions[key]}]`)
  .join('\n')}

The admin token comes from RBEE_ADMIN_TOKEN, or is generated on the first start and printed once.`;

/** Milliseconds of `30d`, `12h`, `90m` or `45s`, or null when it is not such a duration. */
export function retentionMs(text: string): number | null {
  const match = /^(\d{1,6})([smhd])$/.exec(text);
  if (!match || Number(match[1]) < 1) return null;
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's'];
}

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
  return edgeConfigFrom(readFlags(argv, edgeFlagSpec).values);
}

/** The flags `rbee edge` and `deno task edge` take, for the shared parser. */
export const edgeFlagSpec = {
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  catalog: { type: 'string' },
  statements: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  store: { type: 'string' },
  'store-durability': { type: 'string' },
  'instance-id': { type: 'string' },
  'metrics-token': { type: 'string' },
  'job-retention': { type: 'string' },
  'log-retention': { type: 'string' },
  ...Object.fromEntries(
    Object.keys(optionFlags).map((flag) => [flag.slice(2), { type: 'string' }]),
  ),
} as const satisfies FlagSpec;

/** Parses with the shared parser, reporting a bad flag as an EdgeConfigError. */
export function readFlags<S extends FlagSpec>(argv: readonly string[], spec: S) {
  try {
    return parseFlags(argv, spec);
  } catch (error) {
    if (error instanceof FlagError) throw new EdgeConfigError(error.message);
    throw error;
  }
}

/** Checks the edge's flag values and fills in the defaults. */
export function edgeConfigFrom(values: Record<string, unknown>): EdgeConfig {
  const config: EdgeConfig = { ...edgeDefaults, options: {} };
  const text = (name: string) => values[name] as string | undefined;
  const port = text('port');
  if (port !== undefined) {
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
      throw new EdgeConfigError(`--port must be an integer from 0 to 65535, got "${port}"`);
    }
    config.port = Number(port);
  }
  config.host = text('host') ?? config.host;
  config.dataDir = text('data') ?? config.dataDir;
  config.catalogDir = text('catalog') ?? config.catalogDir;
  config.statementsDir = text('statements') ?? config.statementsDir;
  config.tlsCert = text('tls-cert') ?? null;
  config.tlsKey = text('tls-key') ?? null;
  if ((config.tlsCert === null) !== (config.tlsKey === null)) {
    throw new EdgeConfigError('--tls-cert and --tls-key go together: give both or neither');
  }
  Object.assign(
    config,
    storeConfigFrom(
      text('store'),
      text('store-durability'),
      text('instance-id'),
      (m) => new EdgeConfigError(m),
    ),
  );
  for (const [flag, key] of [
    ['job-retention', 'jobRetentionMs'],
    ['log-retention', 'logRetentionMs'],
  ] as const) {
    const raw = text(flag);
    if (raw === undefined) continue;
    const ms = retentionMs(raw);
    if (ms === null) {
      throw new EdgeConfigError(
        `--${flag} must be a duration such as 30d, 12h or 90m, got "${raw}"`,
      );
    }
    config.options[key] = ms;
  }
  const metricsToken = text('metrics-token');
  if (metricsToken !== undefined) config.options.metricsToken = metricsToken;
  for (const [flag, key] of Object.entries(optionFlags)) {
    const raw = text(flag.slice(2));
    if (raw === undefined) continue;
    if (!/^\d{1,13}$/.test(raw) || Number(raw) < 1) {
      throw new EdgeConfigError(`${flag} must be a positive integer, got "${raw}"`);
    }
    config.options[key] = Number(raw);
  }
  return config;
}
