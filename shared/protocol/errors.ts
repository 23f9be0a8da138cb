/**
 * Stable codes for refused messages and the WebSocket close code each one ends with.
 * Every code is listed in the README; one factory makes every protocol error.
 */
export const protocolErrors = {
  /** The frame is larger than the edge's (or agent's) maxFrameBytes. */
  FRAME_TOO_LARGE: 1009,
  /** The frame is not valid JSON, or is binary. */
  BAD_JSON: 1007,
  /** `v` is not the protocol version this side speaks. */
  BAD_VERSION: 1002,
  /** `type` is not on this direction's allow-list. */
  UNKNOWN_TYPE: 1003,
  /** The message does not match its type's schema. */
  BAD_MESSAGE: 1007,
  /** Something other than `hello` came first, or `hello` came twice. */
  HELLO_REQUIRED: 1002,
  /** The message names a job that is not this hive's. */
  NOT_YOUR_JOB: 1008,
  /** Log entries in one frame are not strictly increasing by one. */
  SEQ_ORDER: 1002,
  /** A log frame starts after the next seq the edge needs: storing it would leave a hole. */
  SEQ_GAP: 1002,
  /** Too many messages or bytes per second. */
  FLOOD: 1008,
  /** The job's log is over its byte cap. */
  LOG_TOO_LARGE: 1008,
  /** No heartbeat for two intervals. */
  HEARTBEAT_TIMEOUT: 4000,
  /** Another connection with this hive's token took over. */
  REPLACED: 4001,
  /** The hive was deleted and its token revoked. */
  REVOKED: 4003,
  /**
   * The hive already has a live connection that is answering: a second one with the same token
   * is refused (a copied token?), and the hive is marked contested after repeated tries.
   */
  CONTESTED: 4009,
  /** The message would change a job that has ended: its outcome and its log are closed. */
  JOB_ENDED: 4010,
  /** The edge is shutting down. */
  GOING_AWAY: 1001,
  /** The peer failed on its side (a store write failed): nothing of the frame was kept. */
  INTERNAL: 1011,
} as const;

export type ProtocolErrorCode = keyof typeof protocolErrors;

/** A refused message: `code` is stable, `closeCode` is what the socket closes with. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  readonly closeCode: number;
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
    this.closeCode = protocolErrors[code];
  }
}

/** The one factory for protocol errors: `protocolError('UNKNOWN_TYPE', 'type "x" is not …')`. */
export const protocolError = (code: ProtocolErrorCode, message: string) =>
  new ProtocolError(code, message);
