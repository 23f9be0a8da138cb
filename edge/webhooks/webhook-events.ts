import type { Hub } from '../hub/hub.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { RolloutService } from '../rollouts/rollout-service.ts';
import type { JobRecord, RolloutRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { WebhookService } from './webhook-service.ts';

/** A job as a webhook sees it: what ended, where, how and how long it took. */
const jobData = (job: JobRecord, hiveName: string | null) => ({
  job: {
    id: job.id,
    kind: job.kind,
    worker: job.worker,
    hive: job.hive,
    hive_name: hiveName,
    state: job.state,
    error: job.error,
    rollout: job.rollout,
    created_at: job.created_at,
    ended_at: job.ended_at,
    duration_ms: job.ended_at === null ? null : job.ended_at - job.created_at,
    /** True when nothing ran: the hive already had this version (an install without force). */
    already_installed: job.already_installed === true,
  },
});

const rolloutData = (r: RolloutRecord) => ({
  rollout: {
    id: r.id,
    kind: r.kind,
    worker: r.worker,
    state: r.state,
    counts: r.counts,
    created_at: r.created_at,
    ended_at: r.ended_at,
  },
});

/**
 * Feeds fleet events to the webhooks: each job end and rollout end is told once, by the
 * instance whose compare-and-set ended it (a job stored already ended, by the one that stored it); a hive's online and offline by the instance that
 * holds (or held) its socket.
 */
export function wireWebhookEvents(deps: {
  store: Store;
  jobs: JobService;
  rollouts: RolloutService;
  hub: Hub;
  webhooks: WebhookService;
  now: () => number;
}) {
  const { store, webhooks } = deps;
  const hiveOf = async (id: string) => {
    const hive = await store.getHive(id);
    return hive ? { id: hive.id, name: hive.name, labels: hive.labels } : { id, name: null };
  };
  const jobEnded = async (job: JobRecord) => {
    await webhooks.emit('job.ended', jobData(job, (await store.getHive(job.hive))?.name ?? null));
  };
  deps.jobs.onJobEnd(jobEnded);
  // Settled at once (already installed): ended like any job, so told like any job.
  deps.jobs.onJobSettled(jobEnded);
  deps.rollouts.onRolloutEnd(async (rollout) => {
    await webhooks.emit('rollout.ended', rolloutData(rollout));
  });
  deps.hub.onPresence((id, online) => {
    const at = deps.now();
    void hiveOf(id)
      .then((hive) => webhooks.emit(online ? 'hive.online' : 'hive.offline', { hive, at }))
      .catch((error) => console.error(`webhooks: hive ${id} presence not queued:`, error));
  });
}
