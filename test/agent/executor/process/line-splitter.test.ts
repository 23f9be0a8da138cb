import { describe, expect, test } from 'vitest';
import { LineSplitter, MAX_LINE_BYTES } from '../../../../agent/executor/process/line-splitter.ts';

type Got = { text: string; cut: boolean; bytes: number } | { marker: string };

/** Feeds chunks one by one and collects lines and markers in order. */
function split(chunks: (string | Buffer)[], prefix?: string): Got[] {
  const got: Got[] = [];
  const splitter = new LineSplitter(
    (text, cut, bytes) => {
      got.push({ text, cut, bytes });
      return undefined;
    },
    prefix === undefined ? undefined : Buffer.from(prefix),
  );
  let n = 0;
  const drain = () => {
    while (splitter.hasWork()) {
      if (splitter.run() === 'marker') got.push({ marker: splitter.marker });
    }
  };
  for (const chunk of chunks) {
    splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, ++n);
    drain();
  }
  if (splitter.end() === 'marker') got.push({ marker: splitter.marker });
  return got;
}

const texts = (got: Got[]) => got.map((g) => ('marker' in g ? `<${g.marker}>` : g.text));

describe('LineSplitter', () => {
  test('joins a line split across chunks and keeps empty lines', () => {
    expect(texts(split(['ab', 'c\n\nde', 'f\n']))).toEqual(['abc', '', 'def']);
  });

  test('a UTF-8 character split between chunks decodes whole', () => {
    const bytes = Buffer.from('é\n');
    expect(texts(split([bytes.subarray(0, 1), bytes.subarray(1)]))).toEqual(['é']);
  });

  test('counts bytes with the newline, the last line without one', () => {
    const got = split(['aé\nz']);
    expect(got).toEqual([
      { text: 'aé', cut: false, bytes: 4 },
      { text: 'z', cut: false, bytes: 1 },
    ]);
  });

  test('a line of exactly MAX_LINE_BYTES is whole, one more byte is cut', () => {
    const exact = 'x'.repeat(MAX_LINE_BYTES);
    expect(split([`${exact}\n`]).map((g) => 'cut' in g && g.cut)).toEqual([false]);
    const over = split([`${exact}y\n`]);
    expect(over).toEqual([
      { text: exact, cut: true, bytes: MAX_LINE_BYTES },
      { text: 'y', cut: false, bytes: 2 },
    ]);
  });

  test('an endless line without a newline is cut as it grows, not held whole', () => {
    const chunk = 'z'.repeat(50_000);
    const got = split([chunk, chunk, chunk]);
    expect(got.map((g) => ('cut' in g ? [g.text.length, g.cut] : g))).toEqual([
      [65536, true],
      [65536, true],
      [18928, false],
    ]);
  });

  test('takes markers out and splits the text before them into its own line', () => {
    const prefix = '\0rbee:n0nce:';
    const got = split(['partial', `${prefix}1\tE\tbuild\n`, 'next\n'], prefix);
    expect(texts(got)).toEqual(['partial', '<1\tE\tbuild>', 'next']);
  });

  test('finds a marker split across chunks', () => {
    const prefix = '\0rbee:n0nce:';
    const marker = `${prefix}2\tS\tcheck\n`;
    const got = split([`line\n${marker.slice(0, 5)}`, marker.slice(5)], prefix);
    expect(texts(got)).toEqual(['line', '<2\tS\tcheck>']);
  });

  test('a NUL byte that is not a marker stays in the line', () => {
    expect(texts(split(['a\0b\n'], '\0rbee:n0nce:'))).toEqual(['a\0b']);
  });
});
