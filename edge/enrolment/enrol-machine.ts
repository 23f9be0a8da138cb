import type { PlatformInfo } from '../../shared/protocol/messages.ts';
import { hashToken, newToken, randomId } from '../auth/tokens.ts';
import type { EnrolmentTokenRecord, HiveRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import { enrolmentTokenState } from './enrolment-tokens.ts';
import { hiveNameFor } from './hive-name.ts';

export type EnrolRequest = {
  /** The `rbe_…` enrolment token. */
  token: string;
  hostname: string;
  /** `/etc/machine-id`, or the agent's own, or `--machine-id`. */
  machine_id: string;
  platform?: PlatformInfo | undefined;
};

export type EnrolRefusal = {
  status: 401 | 403;
  code:
    | 'ENROLMENT_TOKEN_UNKNOWN'
    | 'ENROLMENT_TOKEN_REVOKED'
    | 'ENROLMENT_TOKEN_EXPIRED'
    | 'ENROLMENT_TOKEN_USED_UP';
  error: string;
};

export type Enrolled = {
  hive: HiveRecord;
  /** The new `rbh_…` hive token, returned once. */
  token: string;
  /** True when this machine had a hive already: it got a new token, not a second hive. */
  reenrolled: boolean;
};

const iso = (ms: number) => new Date(ms).toISOString();

/** Says which rule an unusable enrolment token broke. */
function refusal(token: EnrolmentTokenRecord, now: number): EnrolRefusal | null {
  switch (enrolmentTokenState(token, now)) {
    case 'revoked':
      return {
        status: 403,
        code: 'ENROLMENT_TOKEN_REVOKED',
        error: `enrolment token ${token.id} was revoked at ${iso(token.revoked_at!)}`,
      };
    case 'expired':
      return {
        status: 403,
        code: 'ENROLMENT_TOKEN_EXPIRED',
        error: `enrolment token ${token.id} expired at ${iso(token.expires_at!)}: ask for a new one`,
      };
    case 'used_up':
      return {
        status: 403,
        code: 'ENROLMENT_TOKEN_USED_UP',
        error: `enrolment token ${token.id} allows ${token.max_uses} enrolments (max_uses) and all are used`,
      };
    default:
      return null;
  }
}

/** The machine identity as stored: a hash, so the edge never keeps a machine's own id. */
export const machineKey = (machineId: string) => hashToken(`rbee-machine:${machineId}`);

/**
 * Exchanges an enrolment token for a hive token. A machine seen before (same machine id) keeps
 * its hive and gets a new token, the old one stops working; re-enrolling with the token it
 * enrolled with costs no use. A new machine takes one use (compare-and-set, so concurrent
 * enrolments never pass max_uses), the token's labels, and its hostname as name, made unique.
 * @example const r = await enrolMachine(store, { token, hostname: 'gpu-01', machine_id }, now);
 */
export async function enrolMachine(
  store: Store,
  request: EnrolRequest,
  now: number,
): Promise<Enrolled | EnrolRefusal> {
  const enrolment = await store.getEnrolmentTokenByHash(await hashToken(request.token));
  if (!enrolment) {
    return {
      status: 401,
      code: 'ENROLMENT_TOKEN_UNKNOWN',
      error: 'unknown enrolment token: this edge never issued it (mistyped, or from another edge)',
    };
  }
  const machine = await machineKey(request.machine_id);
  const hiveToken = newToken('rbh_');
  const tokenHash = await hashToken(hiveToken);
  for (;;) {
    const existing = await store.getHiveByMachine(machine);
    if (existing) {
      const current = (await store.getEnrolmentToken(enrolment.id)) ?? enrolment;
      const state = enrolmentTokenState(current, now);
      // The same token again costs nothing, even used up: a re-run install, not a new hive.
      const free = existing.enrolment === enrolment.id && state === 'used_up';
      if (!free) {
        const refused = refusal(current, now);
        if (refused) return refused;
        if (existing.enrolment !== enrolment.id) {
          const used = await consumeUse(store, enrolment.id, now);
          if ('code' in used) return used;
        }
      }
      const hive = await store.replaceHiveToken(existing.id, tokenHash);
      if (!hive) continue; // deleted meanwhile: enrol as new
      return { hive, token: hiveToken, reenrolled: true };
    }
    const used = await consumeUse(store, enrolment.id, now);
    if ('code' in used) return used;
    const base = hiveNameFor(request.hostname);
    for (let attempt = 0; ; attempt++) {
      const hive: HiveRecord = {
        id: `hive_${randomId(16)}`,
        name: attempt === 0 ? base : suffixed(base, attempt),
        labels: used.labels,
        token_hash: tokenHash,
        created_at: now,
        last_seen: null,
        platform: request.platform ?? null,
        installed: [],
        agent_version: null,
        machine,
        enrolment: enrolment.id,
      };
      if (await store.createHive(hive)) return { hive, token: hiveToken, reenrolled: false };
      // The name was taken, or the machine enrolled meanwhile (then the outer loop finds it).
      if (await store.getHiveByMachine(machine)) break;
      if (attempt > 50) throw new Error(`cannot find a free hive name for "${base}"`);
    }
    // Another request enrolled this machine at the same moment: give the use back, re-key.
    await store.updateEnrolmentToken(enrolment.id, (t) => ({ ...t, uses: t.uses - 1 }));
  }
}

/** `gpu-01`, `gpu-01-2`, … then random tails, within the 63 characters of a name. */
function suffixed(base: string, attempt: number): string {
  const tail = attempt < 10 ? `-${attempt + 1}` : `-${randomId(6)}`;
  return `${base.slice(0, 63 - tail.length)}${tail}`;
}

/** Takes one use of the token, refusing with the rule when it has none left. */
async function consumeUse(
  store: Store,
  id: string,
  now: number,
): Promise<EnrolmentTokenRecord | EnrolRefusal> {
  let refused: EnrolRefusal | null = null;
  const next = await store.updateEnrolmentToken(id, (t) => {
    refused = refusal(t, now);
    return refused ? null : { ...t, uses: t.uses + 1 };
  });
  if (next) return next;
  return (
    refused ?? {
      status: 401,
      code: 'ENROLMENT_TOKEN_UNKNOWN',
      error: 'unknown enrolment token: it was deleted while enrolling',
    }
  );
}
