import type { z } from 'zod';
import { formatIssue } from '../validation/format-issue.ts';
import { ProtocolError, protocolError } from './errors.ts';
import { type LogBatch, logBatch } from './log-batch.ts';
import { type LogsFrame, readCanonicalLogs } from './logs-frame.ts';
import {
  type AgentMessage,
  agentMessageSchemas,
  type EdgeMessage,
  edgeMessageSchemas,
  type MessageBody,
} from './messages.ts';
import { PROTOCOL_VERSION } from './version.ts';

export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

const utf8 = new TextEncoder();

/** The frame as text, refused if it is binary or over the size limit. */
function frameText(data: string | ArrayBuffer | Uint8Array, maxFrameBytes: number): string {
  if (typeof data !== 'string') {
    throw protocolError('BAD_JSON', 'binary frames are not part of the protocol: send JSON text');
  }
  // length is UTF-16 units; bytes can be up to 3 per unit, so only measure when it matters.
  if (
    data.length > maxFrameBytes ||
    (data.length * 3 > maxFrameBytes && utf8.encode(data).length > maxFrameBytes)
  ) {
    throw protocolError('FRAME_TOO_LARGE', `frame is larger than ${maxFrameBytes} bytes`);
  }
  return data;
}

function decodeWith<M>(
  schemas: Record<string, z.ZodType>,
  data: string | ArrayBuffer | Uint8Array,
  maxFrameBytes: number,
): M {
  return parseWith<M>(schemas, frameText(data, maxFrameBytes));
}

/** Parses a frame's text and validates it against its type's schema. */
function parseWith<M>(schemas: Record<string, z.ZodType>, text: string): M {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw protocolError('BAD_JSON', `frame is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw protocolError('BAD_MESSAGE', 'a message must be a JSON object {v, type, ...}');
  }
  const { v, type } = raw as { v?: unknown; type?: unknown };
  if (v !== PROTOCOL_VERSION) {
    throw protocolError(
      'BAD_VERSION',
      `protocol version ${JSON.stringify(v)} is not ${PROTOCOL_VERSION}`,
    );
  }
  const schema =
    typeof type === 'string' && Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (!schema) {
    throw protocolError(
      'UNKNOWN_TYPE',
      `message type ${JSON.stringify(type)} is not allowed here (allowed: ${Object.keys(schemas).join(', ')})`,
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw protocolError(
      'BAD_MESSAGE',
      `${type as string}: ${formatIssue(parsed.error, '(message)')}`,
    );
  }
  return parsed.data as M;
}

/**
 * Parses a frame an agent sent. Throws a ProtocolError naming the rule it broke.
 * @example decodeAgentMessage('{"v":1,"type":"ping","ts":1}') // { v: 1, type: 'ping', ts: 1 }
 */
export const decodeAgentMessage = (
  data: string | ArrayBuffer | Uint8Array,
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
) => decodeWith<AgentMessage>(agentMessageSchemas, data, maxFrameBytes);

/** What the edge reads from an agent: any message, except that `logs` carries its entries as a batch. */
export type AgentFrame = Exclude<AgentMessage, { type: 'logs' }> | LogsFrame;

/**
 * Parses a frame an agent sent, as decodeAgentMessage does, with a `logs` message's entries as
 * one LogBatch (consecutive, or refused as SEQ_ORDER). A canonical `logs` frame is read by one
 * scan and keeps its own text (see logs-frame.ts); anything else is parsed and validated.
 */
export function decodeAgentFrame(
  data: string | ArrayBuffer | Uint8Array,
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
): AgentFrame {
  const text = frameText(data, maxFrameBytes);
  const fast = readCanonicalLogs(text);
  if (fast) return fast;
  const message = parseWith<AgentMessage>(agentMessageSchemas, text);
  if (message.type !== 'logs') return message;
  const { entries } = message;
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.s !== entries[i - 1]!.s + 1) {
      throw protocolError(
        'SEQ_ORDER',
        `log entries must be consecutive: seq ${entries[i]!.s} follows ${entries[i - 1]!.s}`,
      );
    }
  }
  const batch: LogBatch = logBatch(entries);
  return { type: 'logs', job: message.job, batch };
}

/** Parses a frame the edge sent. Throws a ProtocolError naming the rule it broke. */
export const decodeEdgeMessage = (
  data: string | ArrayBuffer | Uint8Array,
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
) => decodeWith<EdgeMessage>(edgeMessageSchemas, data, maxFrameBytes);

/** Serialises a message, adding the version. */
export const encodeMessage = (
  message: MessageBody<AgentMessage> | MessageBody<EdgeMessage>,
): string => JSON.stringify({ v: PROTOCOL_VERSION, ...message });

/**
 * The start of a `logs` message whose entries are already serialised: append the entries'
 * JSON array text and `}`. Producers that keep the batch's text (the agent's spool) send it as
 * is instead of serialising every entry again.
 * @example `${encodeLogsFramePrefix('job_x')}${JSON.stringify(entries)}}`
 */
export const encodeLogsFramePrefix = (job: string): string =>
  `{"v":${PROTOCOL_VERSION},"type":"logs","job":${JSON.stringify(job)},"entries":`;

export { ProtocolError };
