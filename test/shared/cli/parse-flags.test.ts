import { describe, expect, it } from 'vitest';
import { FlagError, parseFlags } from '../../../shared/cli/parse-flags.ts';

const spec = {
  port: { type: 'string' },
  nocheck: { type: 'boolean' },
  'trust-key': { type: 'string', multiple: true },
} as const;

describe('parseFlags', () => {
  it('reads --name value, --name=value, booleans and repeated flags', () => {
    const { values, positionals } = parseFlags(
      ['--port', '0', '--nocheck', '--trust-key=a.pub', 'dir', '--trust-key', 'b.pub'],
      spec,
      true,
    );
    expect(values).toEqual({ port: '0', nocheck: true, 'trust-key': ['a.pub', 'b.pub'] });
    expect(positionals).toEqual(['dir']);
  });

  it('takes everything after -- as positionals', () => {
    expect(parseFlags(['--', '--port'], spec, true).positionals).toEqual(['--port']);
  });

  it.each([
    [['--verbose'], 'unknown option "--verbose"'],
    [['--verbose=1'], 'unknown option "--verbose"'],
    [['-v'], 'unknown option "-v"'],
    [['--port'], '--port needs a value'],
    [['--port', '--nocheck'], '--port needs a value'],
    [['--nocheck=yes'], '--nocheck takes no value'],
    [['stray'], 'unexpected argument "stray"'],
    [['--constructor', 'x'], 'unknown option "--constructor"'],
  ])('refuses %j naming the rule', (argv, message) => {
    const attempt = () => parseFlags(argv, spec);
    expect(attempt).toThrow(FlagError);
    expect(attempt).toThrow(message);
  });

  it('keeps an empty value given with =', () => {
    expect(parseFlags(['--port='], spec).values.port).toBe('');
  });
});
