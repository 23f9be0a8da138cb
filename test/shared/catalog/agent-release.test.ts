import { describe, expect, it } from 'vitest';
import type { JobContext } from '../../../agent/jobs/job-pipeline.ts';
import { verifyAgentFile } from '../../../agent/upgrade/verify-agent-file.ts';
import {
  AgentReleaseError,
  signAgentRelease,
  verifyAgentRelease,
} from '../../../shared/catalog/agent-release.ts';
import {
  generateKeyPair,
  readPrivateKey,
  readPublicKey,
} from '../../../shared/catalog/signature.ts';

const sha = (c: string) => c.repeat(64);

async function fleet() {
  const pair = await generateKeyPair();
  return { key: await readPrivateKey(pair.privatePem), pub: await readPublicKey(pair.publicPem) };
}

/** A job context that records the steps it is told (the verify step runs no process). */
function recorder() {
  const steps: { step: string; phase: string; ok?: boolean; note?: string }[] = [];
  const ctx = {
    emitLine: async () => {},
    emitStep: async (s: (typeof steps)[number]) => void steps.push(s),
    signal: new AbortController().signal,
  } as unknown as JobContext;
  return { ctx, steps };
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as AgentReleaseError,
  );

describe('agent files signed with the fleet key', () => {
  it('verifies the signed version and sha256, and refuses each broken rule by name', async () => {
    const { key, pub } = await fleet();
    const signature = await signAgentRelease(
      { version: '0.2.0', sha256: sha('a'), size: 9 },
      key,
      5,
    );
    expect(
      await verifyAgentRelease({ signature, trusted: [pub], version: '0.2.0', sha256: sha('a') }),
    ).toEqual({
      format: 'rbee-agent/1',
      version: '0.2.0',
      sha256: sha('a'),
      size: 9,
      signed_at: 5,
    });
    const cases: [Parameters<typeof verifyAgentRelease>[0], string, RegExp][] = [
      [
        { signature: undefined, trusted: [pub], version: '0.2.0', sha256: sha('a') },
        'UNSIGNED_AGENT',
        /not signed by a fleet key/,
      ],
      // The job names another file than the one signed (an edge re-using an honest signature).
      [
        { signature, trusted: [pub], version: '0.2.0', sha256: sha('b') },
        'AGENT_SIGNATURE_MISMATCH',
        /the job names agent 0\.2\.0 \(sha256 b+\), the signature by key \w+ is for agent 0\.2\.0 \(sha256 a+\)/,
      ],
      [
        { signature, trusted: [pub], version: '0.3.0', sha256: sha('a') },
        'AGENT_SIGNATURE_MISMATCH',
        /the job names agent 0\.3\.0/,
      ],
      [
        {
          signature: { ...signature, payload: signature.payload.replace('0.2.0', '0.9.0') },
          trusted: [pub],
          version: '0.9.0',
          sha256: sha('a'),
        },
        'BAD_AGENT_SIGNATURE',
        /BAD_SIGNATURE: the signature by key/,
      ],
      [
        { signature: { nope: 1 }, trusted: [pub], version: '0.2.0', sha256: sha('a') },
        'BAD_AGENT_SIGNATURE',
        /BAD_ENVELOPE/,
      ],
      [
        { signature, trusted: [(await fleet()).pub], version: '0.2.0', sha256: sha('a') },
        'BAD_AGENT_SIGNATURE',
        /UNTRUSTED_KEY/,
      ],
    ];
    for (const [input, rule, message] of cases) {
      const error = await refusal(verifyAgentRelease(input));
      expect(error, rule).toBeInstanceOf(AgentReleaseError);
      expect(error!.rule).toBe(rule);
      expect(error!.message).toMatch(new RegExp(`^${rule}: `));
      expect(error!.message).toMatch(message);
    }
  });

  it("the upgrade's verify step: refuses an older signed agent, an unsigned one unless allowed, and checks a signature even when unsigned ones are allowed", async () => {
    const { key, pub } = await fleet();
    const old = await signAgentRelease({ version: '0.1.0', sha256: sha('c'), size: 1 }, key, 1);
    const spec = (agent: Record<string, unknown>) =>
      ({ id: 'job_aaaaaaaaaa', kind: 'upgrade', worker: 'rbee-agent', agent }) as never;
    const strict = { keys: [pub], acceptUnsigned: false, why: '--allow-unsigned' };
    const { ctx, steps } = recorder();
    const down = await refusal(
      verifyAgentFile(
        spec({ version: '0.1.0', sha256: sha('c'), signature: old }),
        ctx,
        strict,
        '0.2.0',
      ),
    );
    expect(down?.message).toBe(
      'AGENT_DOWNGRADE: agent 0.1.0 is older than this agent (0.2.0): an upgrade never goes back',
    );
    expect(steps.at(-1)).toMatchObject({ step: 'verify', phase: 'end', ok: false });
    const unsigned = await refusal(
      verifyAgentFile(spec({ version: '0.3.0', sha256: sha('d') }), ctx, strict, '0.2.0'),
    );
    expect(unsigned?.message).toMatch(/^UNSIGNED_AGENT: /);
    const lenient = { keys: [pub], acceptUnsigned: true, why: '--allow-agent-upgrades' };
    await verifyAgentFile(spec({ version: '0.3.0', sha256: sha('d') }), ctx, lenient, '0.2.0');
    expect(steps.at(-1)).toMatchObject({ ok: true, note: expect.stringMatching(/^UNVERIFIED: /) });
    const stranger = await signAgentRelease(
      { version: '0.3.0', sha256: sha('d'), size: 1 },
      (await fleet()).key,
      1,
    );
    const foreign = await refusal(
      verifyAgentFile(
        spec({ version: '0.3.0', sha256: sha('d'), signature: stranger }),
        ctx,
        lenient,
        '0.2.0',
      ),
    );
    expect(foreign?.message).toMatch(/^BAD_AGENT_SIGNATURE: .*UNTRUSTED_KEY/);
  });
});
