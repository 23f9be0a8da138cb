import { hashToken, randomId } from '../auth/tokens.ts';
import type { EnrolmentTokenRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';

/** Enrolment tokens last a day unless `expires_in` says otherwise. */
export const DEFAULT_ENROLMENT_TTL_S = 24 * 3600;

/** Where an enrolment token stands; only `active` enrols a machine it has not enrolled before. */
export type EnrolmentTokenState = 'active' | 'expired' | 'used_up' | 'revoked';

export function enrolmentTokenState(token: EnrolmentTokenRecord, now: number): EnrolmentTokenState {
  if (token.revoked_at !== null) return 'revoked';
  if (token.expires_at !== null && now >= token.expires_at) return 'expired';
  if (token.max_uses !== null && token.uses >= token.max_uses) return 'used_up';
  return 'active';
}

/** An enrolment token as the API shows it: never its hash. */
export function enrolmentTokenView(token: EnrolmentTokenRecord, now: number) {
  return {
    id: token.id,
    name: token.name,
    labels: token.labels,
    max_uses: token.max_uses,
    uses: token.uses,
    uses_left: token.max_uses === null ? null : Math.max(0, token.max_uses - token.uses),
    expires_at: token.expires_at,
    revoked_at: token.revoked_at,
    created_at: token.created_at,
    state: enrolmentTokenState(token, now),
  };
}

/**
 * Issues an enrolment token (`rbe_` + 200 random bits). The token is returned once; only its
 * SHA-256 is stored.
 * @example const { token } = await issueEnrolmentToken(store, { max_uses: 100 }, Date.now());
 */
export async function issueEnrolmentToken(
  store: Store,
  input: {
    name?: string | undefined;
    labels?: Record<string, string> | undefined;
    max_uses?: number | undefined;
    expires_in?: number | undefined;
  },
  now: number,
): Promise<{ record: EnrolmentTokenRecord; token: string }> {
  for (;;) {
    const token = `rbe_${randomId(40)}`;
    const record: EnrolmentTokenRecord = {
      id: `enr_${randomId(16)}`,
      name: input.name ?? null,
      labels: input.labels ?? {},
      token_hash: await hashToken(token),
      max_uses: input.max_uses ?? null,
      uses: 0,
      expires_at: now + 1000 * (input.expires_in ?? DEFAULT_ENROLMENT_TTL_S),
      revoked_at: null,
      created_at: now,
    };
    if (await store.createEnrolmentToken(record)) return { record, token };
  }
}
