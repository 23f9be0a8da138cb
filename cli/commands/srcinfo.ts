import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ParseError, parsePkgbuild, printSrcinfo } from '../../shared/pkgbuild/index.ts';
import { type Command, parseFlags, UsageError } from '../command.ts';

const usage = `usage: rbee srcinfo [--carch ARCH] PATH/TO/PKGBUILD

Prints the .SRCINFO of a PKGBUILD to stdout, byte for byte what 'makepkg --printsrcinfo'
prints, without running bash. A PKGBUILD makepkg would refuse (lint) or that cannot be read
statically ($(…), eval, source, loops, …) is reported on stderr as
  Cannot parse PATH line L col C: <reason>   [CODE]
and the command exits 1.

options:
  --carch ARCH  the architecture $CARCH holds (default: CARCH in /etc/makepkg.conf,
                else this machine's architecture)
`;

/** makepkg's CARCH: makepkg.conf first, as makepkg reads it, then the machine. */
function defaultCarch(): string {
  try {
    const m = /^CARCH=["']?([^"'\s]+)/m.exec(readFileSync('/etc/makepkg.conf', 'utf8'));
    if (m) return m[1]!;
  } catch {
    // No makepkg.conf: fall back to the machine's architecture.
  }
  const machine: Record<string, string> = {
    x64: 'x86_64',
    arm64: 'aarch64',
    arm: 'armv7h',
    ia32: 'i686',
  };
  return machine[process.arch] ?? process.arch;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export const srcinfoCommand: Command = {
  name: 'srcinfo',
  summary: "print a PKGBUILD's .SRCINFO (makepkg --printsrcinfo, without bash)",
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { carch: { type: 'string' } }, true);
    if (positionals.length !== 1) throw new UsageError('expects exactly one PKGBUILD path');
    const path = positionals[0]!;
    let text: string;
    try {
      // A PKGBUILD that is not UTF-8 would print differently from makepkg: refuse it.
      text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path));
    } catch (error) {
      const reason = error instanceof TypeError ? 'not valid UTF-8' : (error as Error).message;
      process.stderr.write(`Cannot read ${path}: ${reason}\n`);
      return 1;
    }
    const dir = dirname(path);
    try {
      const pkgbuild = parsePkgbuild(text, {
        carch: values.carch ?? defaultCarch(),
        filename: path,
        fileExists: (file) => isFile(file.startsWith('/') ? file : join(dir, file)),
      });
      process.stdout.write(printSrcinfo(pkgbuild));
      return 0;
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      process.stderr.write(`${error.message}   [${error.code}]\n`);
      return 1;
    }
  },
};
