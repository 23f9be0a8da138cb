import { isNewer } from '../../shared/protocol/version-compare.ts';
import type { HiveRecord } from '../store/records.ts';

/**
 * A hive as the API shows it: never the token hash; online from the live socket map;
 * `agent_outdated` against the agent version the edge serves (null: unknown).
 */
export function hiveView(
  hive: HiveRecord,
  online: boolean,
  edgeAgentVersion: string | null = null,
) {
  return {
    /** Its token was seen on competing connections: its jobs are held until a rotation. */
    contested: Boolean(hive.contested_at),
    contested_at: hive.contested_at ?? null,
    id: hive.id,
    name: hive.name,
    labels: hive.labels,
    online,
    last_seen: hive.last_seen,
    created_at: hive.created_at,
    platform: hive.platform,
    installed: hive.installed,
    agent_version: hive.agent_version,
    /** May upload to the package cache; its builder key by id (null: not registered yet). */
    builder: hive.builder === true,
    builder_key_id: hive.builder_key?.id ?? null,
    agent_upgradable: hive.agent_upgradable === true,
    edge_agent_version: edgeAgentVersion,
    agent_outdated:
      edgeAgentVersion === null || hive.agent_version === null
        ? null
        : isNewer(edgeAgentVersion, hive.agent_version),
  };
}
