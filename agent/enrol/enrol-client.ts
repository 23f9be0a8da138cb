import { hostname } from 'node:os';
import type { PlatformInfo } from '../../shared/protocol/index.ts';
import { AgentExitError, EXIT } from './exit-codes.ts';

export type EnrolOptions = {
  /** `http(s)://` base of the edge. */
  edge: string;
  /** `rbe_…`. */
  enrolToken: string;
  machineId: string;
  platform?: PlatformInfo;
  hostname?: string;
  timeoutMs?: number;
};

export type EnrolResult = {
  hive: { id: string; name: string; labels: Record<string, string> };
  token: string;
  reenrolled: boolean;
};

/**
 * `POST /agent/enrol`: exchanges the enrolment token for this machine's hive token. A refusal
 * (unknown, revoked, expired, used up) is an AgentExitError with exit code 77 and the edge's
 * reason; an edge that cannot be reached or answers 5xx is 75 (try again later).
 * @example const { token } = await enrol({ edge: 'https://edge', enrolToken, machineId });
 */
export async function enrol(options: EnrolOptions): Promise<EnrolResult> {
  const url = `${options.edge}/agent/enrol`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${options.enrolToken}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        hostname: options.hostname ?? hostname(),
        machine_id: options.machineId,
        ...(options.platform ? { platform: options.platform } : {}),
      }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new AgentExitError(`cannot enrol at ${url}: ${cause}`, EXIT.TEMPFAIL);
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not the edge's JSON (a proxy's page): the status has to do
  }
  if (response.ok && typeof body.token === 'string' && body.hive) {
    return body as unknown as EnrolResult;
  }
  const code = typeof body.code === 'string' ? body.code : undefined;
  const reason = typeof body.error === 'string' ? `: ${body.error}` : '';
  const message = `edge refused the enrolment (${response.status}${code ? ` ${code}` : ''})${reason}`;
  const temporary = response.status >= 500 || response.status === 429 || response.ok;
  // 400: this agent sent something the edge will never take (a bad --machine-id).
  const exit = temporary ? EXIT.TEMPFAIL : response.status === 400 ? EXIT.CONFIG : EXIT.NOPERM;
  throw new AgentExitError(message, exit, code);
}
