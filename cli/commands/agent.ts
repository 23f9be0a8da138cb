import { type Agent, startAgent } from '../../agent/agent.ts';
import { EdgeUrlError, edgeUrls } from '../../agent/connection/edge-url.ts';
import { StateLockError } from '../../agent/jobs/state-lock.ts';
import { UnsupportedPlatformError } from '../../agent/platform/detect-platform.ts';
import { type Command, parseFlags, UsageError } from '../command.ts';

const usage = `usage: rbee agent --edge URL --token rbh_... [--state DIR] [--install-root DIR]

Runs the hive agent: dials the edge, holds one WebSocket open (reconnecting for ever, with
backoff), runs the install jobs the edge sends and streams their output back.

options:
  --edge URL           the edge's base URL, http(s):// or ws(s)://; the agent dials <URL>/agent
  --token TOKEN        the hive token (rbh_...); or set RBEE_TOKEN
  --state DIR          job ledger, log spool, workspaces (default ./.rbee/agent)
  --install-root DIR   where workers are installed (default <state>/root)
  --backoff-cap MS     longest wait between reconnects (default 30000)
  --max-jobs N         builds at the same time (default 1)
  -h, --help           show this help`;

/** Reads a flag that must be a positive integer. */
function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) {
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  }
  return n;
}

/** `rbee agent`: one hive's agent, until SIGINT or SIGTERM. */
export const agentCommand: Command = {
  name: 'agent',
  summary: 'run the hive agent: dial the edge, build what it sends, stream the logs',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      edge: { type: 'string' },
      token: { type: 'string' },
      state: { type: 'string' },
      'install-root': { type: 'string' },
      'backoff-cap': { type: 'string' },
      'max-jobs': { type: 'string' },
    });
    if (!values.edge)
      throw new UsageError('--edge URL is required (the edge, e.g. http://edge:8787)');
    try {
      edgeUrls(values.edge);
    } catch (error) {
      if (error instanceof EdgeUrlError) throw new UsageError(error.message);
      throw error;
    }
    const token = values.token ?? process.env.RBEE_TOKEN;
    if (!token)
      throw new UsageError('--token is required (the hive token, rbh_...), or set RBEE_TOKEN');
    if (!/^rbh_\S+$/.test(token)) {
      throw new UsageError('--token must be a hive token: rbh_ followed by its secret');
    }
    const backoffCapMs = positive('backoff-cap', values['backoff-cap']);
    const maxConcurrentJobs = positive('max-jobs', values['max-jobs']);
    let agent: Agent;
    try {
      agent = await startAgent({
        edge: values.edge,
        token,
        ...(values.state ? { stateDir: values.state } : {}),
        ...(values['install-root'] ? { installRoot: values['install-root'] } : {}),
        ...(backoffCapMs ? { backoffCapMs, backoffBaseMs: Math.min(500, backoffCapMs) } : {}),
        ...(maxConcurrentJobs ? { maxConcurrentJobs } : {}),
      });
    } catch (error) {
      // Known refusals say what to do; anything else is a bug and keeps its stack.
      if (error instanceof StateLockError || error instanceof UnsupportedPlatformError) {
        process.stderr.write(`rbee agent: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await agent.stop();
    return 0;
  },
};
