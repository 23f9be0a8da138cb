import { join } from 'node:path';
import { createEdgeHttp } from '../../../agent/connection/edge-http.ts';
import { runBuild } from '../../../agent/executor/index.ts';
import type { Capabilities } from '../../../agent/install/capabilities.ts';
import {
  createInstallPipeline,
  type InstallPipelineOptions,
} from '../../../agent/install/install-pipeline.ts';
import type { PlatformInfo } from '../../../shared/protocol/index.ts';

export const linux: PlatformInfo = { os: 'linux', arch: 'x86_64', accelerators: [] };

let n = 0;

/** Runs one job through the real install pipeline and executor; records its steps and lines. */
export async function runJob(
  edgeUrl: string,
  state: string,
  installRoot: string,
  job: { kind: 'install' | 'uninstall'; worker: string },
  options: Partial<InstallPipelineOptions> = {},
) {
  const reports: Capabilities[] = [];
  const pipeline = createInstallPipeline({
    stateDir: state,
    platform: linux,
    runBuild,
    report: (caps) => reports.push(caps),
    ...options,
  });
  const steps: { step: string; phase: string; ok?: boolean; note?: string }[] = [];
  const lines: string[] = [];
  const id = `job_test${String(++n).padStart(8, '0')}`;
  const result = await pipeline(
    { id, ...job },
    {
      emitLine: (l) => {
        lines.push(l.text);
      },
      emitStep: (s) => {
        steps.push(s);
      },
      signal: new AbortController().signal,
      edgeHttp: createEdgeHttp({ base: edgeUrl, token: 'rbh_test' }),
      workspace: join(state, 'work', id),
      installRoot,
    },
  );
  const started = steps.filter((s) => s.phase === 'start').map((s) => s.step);
  const failed = steps.find((s) => s.phase === 'end' && s.ok === false);
  return { result, steps, started, failed, lines, reports, workspace: join(state, 'work', id) };
}
