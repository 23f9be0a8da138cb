import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  decodeAgentFrame,
  decodeAgentMessage,
  encodeLogsFramePrefix,
  joinBatches,
  type LogEntry,
  logBatch,
  type ProtocolError,
  readCanonicalLogs,
  sliceBatch,
} from '../../../shared/protocol/index.ts';

const JOB = 'job_abcdefgh12';
/** A frame as the agent writes it. */
const frame = (entries: unknown[], job = JOB) =>
  `${encodeLogsFramePrefix(job)}${JSON.stringify(entries)}}`;
const line = (s: number, x: string, extra: object = {}): LogEntry => ({
  s,
  t: 1_795_786_865_494,
  k: 'o',
  x,
  ...extra,
});

/** What the general path makes of a frame: its entries serialised, or the error's code. */
function general(data: string): { job: string; text: string } | string {
  try {
    const message = decodeAgentMessage(data);
    if (message.type !== 'logs') return 'not logs';
    return { job: message.job, text: JSON.stringify(message.entries) };
  } catch (error) {
    return (error as ProtocolError).code;
  }
}

/**
 * The fast path's contract: when it reads a frame, the general path accepts the same frame,
 * with the same job, and its entries serialised are exactly the text the fast path kept.
 */
function agreesWithGeneralPath(data: string): boolean {
  const fast = readCanonicalLogs(data);
  if (!fast) return false;
  const slow = general(data);
  expect(slow).toEqual({ job: fast.job, text: fast.batch.text });
  const entries = JSON.parse(fast.batch.text) as LogEntry[];
  expect(fast.batch.first).toBe(entries[0]!.s);
  expect(fast.batch.count).toBe(entries.length);
  return true;
}

/** Any string: unicode, lone surrogates, control characters, quotes and backslashes. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom(
      '"',
      '\\',
      '/',
      '\n',
      '\u0000',
      '\u001f',
      '\u007f',
      'a',
      'é',
      '\ud83d',
      '\ude00',
      '\u2028',
    ),
    maxLength: 20,
  }),
  fc.string({ maxLength: 40 }),
);
const lineArb = fc.record(
  {
    t: fc.oneof(fc.integer({ min: -1e15 + 1, max: 1e15 - 1 }), fc.double({ noNaN: true })),
    k: fc.constantFrom('o', 'e'),
    x: anyText,
    c: fc.constant(1),
  },
  { requiredKeys: ['t', 'k', 'x'] },
);
const framesArb = fc
  .tuple(
    fc.integer({ min: 0, max: 2 ** 53 - 10 }),
    fc.array(lineArb, { minLength: 1, maxLength: 8 }),
  )
  .map(([first, lines]) => frame(lines.map((l, i) => ({ s: first + i, ...l }))));

describe('the fast path for logs frames', () => {
  test('reads what the agent writes, with plain and escaped text alike', () => {
    const entries = [
      line(7, 'plain'),
      line(8, 'quote " backslash \\ tab \t newline \n bell \u0007 esc \u001b del \u007f'),
      line(9, 'é ünïcode 😀 \u2028', { c: 1 }),
      { s: 10, t: 0, k: 'e', x: '' },
    ];
    const data = frame(entries);
    expect(agreesWithGeneralPath(data)).toBe(true);
    expect(readCanonicalLogs(data)!.batch).toEqual({
      first: 7,
      count: 4,
      text: JSON.stringify(entries),
    });
  });

  test('property: every frame it reads, the general path reads the same (random entries)', () => {
    fc.assert(
      fc.property(framesArb, (data) => {
        agreesWithGeneralPath(data);
      }),
      { numRuns: 2000 },
    );
  });

  test('property: integer timestamps and any well-formed text are always read on the fast path', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            t: fc.integer({ min: -1e15 + 1, max: 1e15 - 1 }),
            // A lone surrogate (never in output the agent decoded as UTF-8) goes the general way.
            x: anyText.filter((x) => !/\p{Cs}/u.test(x)),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (lines) => {
          const data = frame(lines.map((l, i) => ({ s: i, t: l.t, k: 'o', x: l.x })));
          expect(agreesWithGeneralPath(data)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('property: a frame changed at any place is either read the same way by both, or left to the general path', () => {
    const significant = fc.constantFrom(
      ...'"\\{}[],:0123456789-.eE tuxsck/ \u0000\ud800'.split(''),
    );
    fc.assert(
      fc.property(
        framesArb,
        fc.array(
          fc.record({
            at: fc.nat(),
            op: fc.constantFrom('insert', 'delete', 'replace'),
            char: significant,
          }),
          { minLength: 1, maxLength: 3 },
        ),
        (data, edits) => {
          let text = data;
          for (const { at, op, char } of edits) {
            const i = at % (text.length + 1);
            text =
              op === 'insert'
                ? text.slice(0, i) + char + text.slice(i)
                : op === 'delete'
                  ? text.slice(0, i) + text.slice(i + 1)
                  : text.slice(0, i) + char + text.slice(i + 1);
          }
          agreesWithGeneralPath(text);
        },
      ),
      { numRuns: 5000 },
    );
  });

  test.each([
    ['a step entry', frame([{ s: 0, t: 1, k: 'step', step: 'build', phase: 'start' }])],
    ['keys in another order', frame([{ t: 1, s: 0, k: 'o', x: 'a' }])],
    ['an unknown key', frame([{ s: 0, t: 1, k: 'o', x: 'a', y: 2 }])],
    ['a fractional timestamp', frame([{ s: 0, t: 1.5, k: 'o', x: 'a' }])],
    ['a seq past 15 digits', frame([{ s: 1e15, t: 1, k: 'o', x: 'a' }])],
    ['spaces', frame([line(0, 'a')]).replace('"x":', '"x": ')],
    ['an escaped slash', frame([line(0, 'a/b')]).replace('a/b', 'a\\/b')],
    [
      'a \\u escape JSON.stringify does not write',
      frame([line(0, 'aAb')]).replace('aAb', 'a\\u0041b'),
    ],
    ['a timestamp written 1.0', frame([line(0, 'a')]).replace('"t":1795786865494', '"t":1.0')],
    ['a timestamp written -0', frame([line(0, 'a')]).replace('"t":1795786865494', '"t":-0')],
    ['an unknown top-level key', frame([line(0, 'a')]).replace('"entries"', '"x":1,"entries"')],
    [
      'a duplicate entries key',
      frame([line(0, 'a')]).replace('"entries":', '"entries":[],"entries":'),
    ],
    ['no entries', frame([])],
    ['entries out of order', frame([line(1, 'a'), line(0, 'b')])],
    ['trailing text', `${frame([line(0, 'a')])} `],
    ['a raw control character', frame([line(0, 'a')]).replace('"x":"a"', '"x":"\u0001"')],
    ['a lone surrogate, escaped as JSON.stringify writes it', frame([line(0, '\ud800')])],
    ['a lone surrogate written raw', frame([line(0, 'a')]).replace('"x":"a"', '"x":"\ud800"')],
  ])('%s is left to the general path', (_, data) => {
    expect(readCanonicalLogs(data)).toBeUndefined();
  });

  test('decodeAgentFrame gives one batch either way, and refuses entries out of order', () => {
    const step = { s: 1, t: 2, k: 'step', step: 'build', phase: 'start' };
    const mixed = frame([line(0, 'a'), step, line(2, 'b')]);
    expect(readCanonicalLogs(mixed)).toBeUndefined();
    expect(decodeAgentFrame(mixed)).toEqual({
      type: 'logs',
      job: JOB,
      batch: logBatch([line(0, 'a'), step as LogEntry, line(2, 'b')]),
    });
    expect(() => decodeAgentFrame(frame([line(0, 'a'), line(2, 'b')]))).toThrow(
      expect.objectContaining({ code: 'SEQ_ORDER' }),
    );
    expect(() => decodeAgentFrame(frame([line(0, 'a')], 'job_x'))).toThrow(
      expect.objectContaining({ code: 'BAD_MESSAGE' }),
    );
  });
});

describe('log batches', () => {
  const entries = [line(3, 'a'), line(4, '{"s":5,'), line(5, 'c')];

  test('a batch is sliced at a seq and joined back without parsing', () => {
    const batch = logBatch(entries);
    expect(sliceBatch(batch, 3)).toBe(batch);
    expect(sliceBatch(batch, 5)).toEqual(logBatch(entries.slice(2)));
    expect(sliceBatch(batch, 4)).toEqual(logBatch(entries.slice(1)));
    expect(joinBatches([logBatch(entries.slice(0, 1)), logBatch(entries.slice(1))])).toEqual(batch);
    expect(() => sliceBatch(batch, 6)).toThrow(RangeError);
  });

  test('entries get s as their first key', () => {
    const odd = { t: 1, k: 'o', x: 'a', s: 0 } as LogEntry;
    expect(logBatch([odd]).text).toBe('[{"s":0,"t":1,"k":"o","x":"a"}]');
  });
});
