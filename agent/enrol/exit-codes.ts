/**
 * The agent's exit codes (sysexits.h), so a service manager knows whether to start it again:
 * systemd's unit has `RestartPreventExitStatus=77 78`.
 */
export const EXIT = {
  /** Done, or stopped by a signal. */
  OK: 0,
  /** Temporary: the edge was unreachable, or the agent restarts itself after an upgrade. Retry. */
  TEMPFAIL: 75,
  /** Refused: the enrolment or hive token is unknown, used up, expired or revoked. Do not retry. */
  NOPERM: 77,
  /** Configuration: a flag, a token file or the state folder is wrong. Do not retry. */
  CONFIG: 78,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A reason for the agent to stop with a given exit code; its message is for the operator. */
export class AgentExitError extends Error {
  override name = 'AgentExitError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** The edge's error code when the edge refused (`ENROLMENT_TOKEN_USED_UP`, …). */
    readonly code?: string,
  ) {
    super(message);
  }
}
