import { chmod } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startAgent } from '../../agent/agent.ts';
import {
  EdgeConfigError,
  edgeConfigFrom,
  edgeDefaults,
  edgeFlagSpec,
  readFlags,
} from '../../edge/config.ts';
import { type Command, UsageError } from '../command.ts';
import { demoSigning } from './demo-signing.ts';
import { startEdgeOrExplain } from './edge.ts';
import { localHiveToken } from './local-hive.ts';

/** `rbee start` takes every flag of `rbee edge`, and `--install-root` for its local agent. */
const startFlagSpec = { ...edgeFlagSpec, 'install-root': { type: 'string' } } as const;

function parseStartFlags(argv: string[]) {
  try {
    const { values } = readFlags(argv, startFlagSpec);
    return { installRoot: values['install-root'] ?? null, config: edgeConfigFrom(values) };
  } catch (error) {
    if (error instanceof EdgeConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** `npm start`: the edge with its embedded store, plus a local agent enrolled as hive `local`. */
export const startCommand: Command = {
  name: 'start',
  summary: 'the main job: the edge with its embedded store and dashboard, plus a local agent',
  usage: `usage: rbee start [--port ${edgeDefaults.port}] [--host ADDR] [--data DIR] [--install-root DIR]

Starts the edge (catalog, admin API, agent hub, dashboard) with its embedded store, and a
local agent enrolled as hive "local" that installs into --install-root
(default <data>/agent/root, so trying the demo never writes outside the data folder).
Takes every option of 'rbee edge' as well. Stop with Ctrl-C.`,
  async run(argv) {
    const { installRoot, config } = parseStartFlags(argv);
    const demoKey = await demoSigning(config);
    const running = await startEdgeOrExplain(config);
    if (!running) return 1;
    const dataDir = resolve(config.dataDir);
    const token = await localHiveToken(running.store, dataDir, Date.now());
    // The local agent's builds traverse <data>/agent/work: 0711, not 0700 (no listing; the
    // edge's own files in it, edge.kv and local-hive.token, are 0600).
    await chmod(dataDir, 0o711);
    const agentUrl = `http://127.0.0.1:${running.port}`;
    const agent = await startAgent({
      edge: agentUrl,
      token,
      stateDir: join(dataDir, 'agent'),
      installRoot: installRoot ? resolve(installRoot) : join(dataDir, 'agent', 'root'),
      log: (line) => process.stdout.write(`[agent] ${line}\n`),
      // Builds see neither the edge's data (edge.kv: every job's log) nor the agent's state.
      sandbox: { hidePaths: [dataDir] },
      trustKeys: [demoKey],
    });
    const out = [
      '',
      `rbee fleet is running — edge listening on ${running.url}`,
      `  dashboard:  ${running.url}/`,
      `  catalog:    ${running.url}/workers`,
      `  local hive: "local" (agent state in ${join(dataDir, 'agent')})`,
      running.adminToken
        ? `  admin token (shown once, keep it): ${running.adminToken}`
        : '  admin token: the one printed at the first start (or set RBEE_ADMIN_TOKEN to replace it)',
      '',
      `try: curl -H "Authorization: Bearer <admin token>" -d '{"hive":"local","worker":"rbee-hello-worker"}' ${running.url}/api/installs`,
      '',
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await agent.stop();
    await running.close();
    return 0;
  },
};
