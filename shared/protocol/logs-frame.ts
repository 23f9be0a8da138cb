import type { LogBatch } from './log-batch.ts';
import { PROTOCOL_VERSION } from './version.ts';

/**
 * The fast path for `logs` frames, the bulk of all traffic. A frame in the canonical form (as
 * `encodeLogsFramePrefix(job)` + `JSON.stringify(entries)` + `}` writes it, entries being lines
 * with keys in schema order) is checked by one scan of its text and its entries are kept as
 * the frame's own JSON text, never parsed into objects or serialised again. The scan accepts
 * only text that JSON.parse and the `logs` schema accept and that JSON.stringify of the parsed
 * entries gives back exactly (integers for `s` and `t`, the escapes JSON.stringify writes); any
 * other frame (steps, other key orders, spacing, other escapes, a bad frame) is not read here,
 * and goes through the general decoder and its rules. The property tests hold the two to that.
 */

const HEAD = `{"v":${PROTOCOL_VERSION},"type":"logs","job":"`;
/** The job id (jobIdSchema's pattern) and the start of the entries. */
const JOB = /job_[A-Za-z0-9]{8,40}(?=","entries":\[\{)/y;
const AFTER_JOB = '","entries":['.length;
/** An entry's start, up to its seq. */
const ENTRY = '{"s":';
/** A line after its seq; `t` an integer as JSON.stringify writes it, `x` plain text. */
const PLAIN_REST =
  /,"t":(?:0|-?[1-9]\d{0,14}),"k":"[oe]","x":"[^"\\\x00-\x1f\ud800-\udfff]*"(?:,"c":1)?\}/y;
/** The same with the escapes JSON.stringify writes (and surrogate pairs) allowed in `x`. */
const ESCAPED_REST =
  /,"t":(?:0|-?[1-9]\d{0,14}),"k":"[oe]","x":"(?:[^"\\\x00-\x1f\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff]|\\["\\bfnrt]|\\u00(?:0[0-7bef]|1[0-9a-f]))*"(?:,"c":1)?\}/y;
/** The schema's bound on entries per frame. */
const MAX_ENTRIES = 100_000;

/** A `logs` frame read on the fast path. */
export type LogsFrame = { type: 'logs'; job: string; batch: LogBatch };

/**
 * Reads a canonical `logs` frame of consecutive lines; undefined for anything else (the caller
 * then decodes it the general way, which accepts or refuses it with the rule it broke).
 * @example readCanonicalLogs('{"v":1,"type":"logs","job":"job_abcdefgh","entries":[{"s":0,"t":1,"k":"o","x":"hi"}]}')
 * // { type: 'logs', job: 'job_abcdefgh', batch: { first: 0, count: 1, text: '[{"s":0,…}]' } }
 */
export function readCanonicalLogs(data: string): LogsFrame | undefined {
  if (!data.startsWith(HEAD)) return undefined;
  JOB.lastIndex = HEAD.length;
  if (!JOB.test(data)) return undefined;
  const job = data.slice(HEAD.length, JOB.lastIndex);
  const open = JOB.lastIndex + AFTER_JOB - 1; // the '[' of the entries
  let at = open + 1;
  let first = 0;
  let count = 0;
  for (;;) {
    if (!data.startsWith(ENTRY, at)) return undefined;
    at += ENTRY.length;
    // The seq: a non-negative integer of at most 15 digits (always safe), no leading zero.
    const digits = at;
    let s = 0;
    let c = data.charCodeAt(at);
    if (c === 48) at++;
    else {
      while (c >= 48 && c <= 57) {
        s = s * 10 + (c - 48);
        c = data.charCodeAt(++at);
      }
    }
    if (at === digits || at - digits > 15) return undefined;
    if (count === 0) first = s;
    else if (s !== first + count) return undefined;
    PLAIN_REST.lastIndex = at;
    if (PLAIN_REST.test(data)) at = PLAIN_REST.lastIndex;
    else {
      ESCAPED_REST.lastIndex = at;
      if (!ESCAPED_REST.test(data)) return undefined;
      at = ESCAPED_REST.lastIndex;
    }
    count++;
    c = data.charCodeAt(at);
    if (c === 44) {
      at++; // ','
      continue;
    }
    // ']' then '}' and the end of the frame.
    if (c !== 93 || data.charCodeAt(at + 1) !== 125 || at + 2 !== data.length) return undefined;
    break;
  }
  if (count > MAX_ENTRIES) return undefined;
  return { type: 'logs', job, batch: { first, count, text: data.slice(open, at + 1) } };
}
