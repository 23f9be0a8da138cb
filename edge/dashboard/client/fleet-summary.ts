import { isNewer } from '../../../shared/version/is-newer.ts';
import type { Hive } from './types.ts';

/** Counts by a key, largest first (ties by key). */
export type Tally = [key: string, count: number][];

export type FleetSummary = {
  /** online, offline, contested (a contested hive is also counted online or offline). */
  states: Tally;
  /** `os / arch`, with `not reported` for hives that never said hello. */
  platforms: Tally;
  /** Agent versions; `older` lists those behind the edge's agent. */
  agents: Tally;
  older: Set<string>;
  /** Per worker, its installed versions and on how many hives each. */
  workers: [worker: string, versions: Tally][];
};

const tally = (keys: string[]): Tally => {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
};

/** Whether a hive's agent is older than the agent the edge serves (unknown edge: never). */
export const agentIsOlder = (agent: string | null | undefined, edge: string | null) =>
  !!edge && !!agent && isNewer(edge, agent);

/**
 * The fleet page's summary: hives by state, platform and agent version, and which workers are
 * installed at which versions on how many hives.
 * @example fleetSummary(hives, '0.2.0').agents // [['0.1.0', 3], ['0.2.0', 1]]
 */
export function fleetSummary(hives: Hive[], edgeAgent: string | null): FleetSummary {
  const agents = hives.map((h) => h.agent_version ?? 'not reported');
  const byWorker = new Map<string, string[]>();
  for (const h of hives) {
    for (const w of h.installed) byWorker.set(w.id, [...(byWorker.get(w.id) ?? []), w.version]);
  }
  return {
    states: tally([
      ...hives.map((h) => (h.online ? 'online' : 'offline')),
      ...hives.filter((h) => h.contested).map(() => 'contested'),
    ]),
    platforms: tally(
      hives.map((h) => (h.platform ? `${h.platform.os} / ${h.platform.arch}` : 'not reported')),
    ),
    agents: tally(agents),
    older: new Set(
      hives.filter((h) => agentIsOlder(h.agent_version, edgeAgent)).map((h) => h.agent_version!),
    ),
    workers: [...byWorker]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([w, versions]) => [w, tally(versions)]),
  };
}
