import { Hono } from 'hono';
import { upgradeAgentsRequestSchema } from '../../shared/api/agents.ts';
import { AgentReleaseError, readAgentRelease } from '../../shared/catalog/agent-release.ts';
import { signedEnvelopeSchema } from '../../shared/catalog/signature.ts';
import { AGENT_WORKER, type AgentRelease } from '../../shared/protocol/job.ts';
import { isNewer } from '../../shared/protocol/version-compare.ts';
import { apiError } from '../http/errors.ts';
import { readBody } from '../http/read-body.ts';
import type { RolloutService } from '../rollouts/rollout-service.ts';
import type { HiveRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import { agentSignatureMeta, readAgentSignature } from './agent-signature.ts';
import { matchesSelector } from './api-jobs.ts';

/** An upgrade restarts the agent and waits for its first welcome: 10 minutes unless told. */
export const UPGRADE_TIMEOUT_MS = 10 * 60_000;

/** Why a hive gets no upgrade job, or null when it gets one. */
function skipReason(hive: HiveRecord, release: AgentRelease) {
  if (hive.agent_upgradable !== true) {
    return {
      reason: 'not_upgradable' as const,
      message: `its agent (${hive.agent_version ?? 'never connected'}) did not say it can replace itself: it runs from a checkout or as the single executable, has RBEE_UPGRADE=off, or predates upgrade jobs`,
    };
  }
  if (hive.agent_version !== null && !isNewer(release.version, hive.agent_version)) {
    return {
      reason: 'current' as const,
      message: `its agent ${hive.agent_version} is not older than ${release.version}`,
    };
  }
  return null;
}

/**
 * `POST /api/agents/upgrade`: a rollout of `upgrade` jobs that move hives to the agent file this
 * edge serves (its version, sha256 and the fleet key's signature over them, when there is one,
 * go in every job; the agent checks the signature and the download against them). Hives
 * already there, or whose agent cannot replace itself, are listed as skipped.
 * `POST /api/agents/signed` stores a signature `rbee agents sign` made.
 */
export function agentsRoutes(
  store: Store,
  rollouts: RolloutService,
  agentRelease: () => Promise<AgentRelease | null>,
) {
  const app = new Hono();

  app.post('/api/agents/upgrade', async (c) => {
    const body = await readBody(c, upgradeAgentsRequestSchema, 4 * 1024 * 1024);
    if (body instanceof Response) return body;
    const bundle = await agentRelease();
    if (!bundle) {
      return apiError(
        c,
        404,
        'NO_AGENT_BUNDLE',
        'this edge has no agent bundle to upgrade to: run `npm run build:agent` where the edge runs',
      );
    }
    const signature = await readAgentSignature(store, bundle.sha256);
    const release: AgentRelease = {
      version: bundle.version,
      sha256: bundle.sha256,
      ...(signature ? { signature } : {}),
    };
    const all = await store.listHives();
    let chosen: HiveRecord[];
    if (body.hives !== undefined) {
      const byRef = new Map<string, HiveRecord>();
      for (const h of all) byRef.set(h.id, h).set(h.name, h);
      const unknown = body.hives.filter((ref) => !byRef.has(ref));
      if (unknown.length > 0) {
        const names = unknown.slice(0, 5).map((u) => `"${u}"`);
        return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name ${names.join(', ')}`);
      }
      chosen = [...new Set(body.hives.map((ref) => byRef.get(ref)!))];
    } else {
      chosen = all.filter((h) => matchesSelector(h, body.selector!));
      if (chosen.length === 0) {
        return apiError(c, 404, 'NO_MATCHING_HIVE', 'no hive matches the selector');
      }
    }
    const skipped = [];
    const targets: string[] = [];
    for (const hive of chosen) {
      const why = skipReason(hive, release);
      if (why) skipped.push({ hive: hive.id, name: hive.name, ...why });
      else targets.push(hive.id);
    }
    if (targets.length === 0) {
      const first = skipped[0]!;
      return apiError(
        c,
        409,
        'NOTHING_TO_UPGRADE',
        `no hive to upgrade to agent ${release.version}: ${first.name}: ${first.message}${skipped.length > 1 ? ` (and ${skipped.length - 1} more)` : ''}`,
      );
    }
    const created = await rollouts.create(targets, {
      worker: AGENT_WORKER,
      kind: 'upgrade',
      agent: release,
      timeout_ms: body.timeout_ms ?? UPGRADE_TIMEOUT_MS,
      ...(body.max_concurrency ? { max_concurrency: body.max_concurrency } : {}),
      ...(body.max_errors ? { max_errors: body.max_errors } : {}),
      ...(body.canary ? { canary: body.canary } : {}),
    });
    const agent = {
      version: release.version,
      sha256: release.sha256,
      signed_by: signature?.key_id ?? null,
    };
    return c.json({ agent, ...created, skipped }, 201);
  });

  app.post('/api/agents/signed', async (c) => {
    const envelope = await readBody(c, signedEnvelopeSchema);
    if (envelope instanceof Response) return envelope;
    // The edge holds no fleet key: it checks the shape, the agents check the signature.
    let signed: ReturnType<typeof readAgentRelease>;
    try {
      signed = readAgentRelease(envelope);
    } catch (error) {
      if (error instanceof AgentReleaseError)
        return apiError(c, 400, 'BAD_AGENT_SIGNATURE', error.message);
      throw error;
    }
    await store.setMeta(agentSignatureMeta(signed.sha256), JSON.stringify(envelope));
    const serving = (await agentRelease().catch(() => null))?.sha256 === signed.sha256;
    return c.json(
      {
        version: signed.version,
        sha256: signed.sha256,
        size: signed.size,
        key_id: envelope.key_id,
        signed_at: signed.signed_at,
        serving,
      },
      201,
    );
  });

  return app;
}
