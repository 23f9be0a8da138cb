// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are bash, not templates
import { describe, expect, it } from 'vitest';
import { ParseError, parsePkgbuild } from '../../../shared/pkgbuild/index.ts';

const pkgbuild = (line: string) =>
  `pkgname=t\npkgver=1\npkgrel=1\narch=(any)\n_f=archive-1.2.3.tar.gz\n${line}\npackage() { :; }\n`;

describe('bracket ranges in patterns', () => {
  it('refuses a reversed range with LOCALE_DEPENDENT at its expansion, not a JavaScript error', () => {
    const error = (() => {
      try {
        parsePkgbuild(pkgbuild('pkgdesc=${_f%[9-0]*}'));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ParseError);
    expect(error).toMatchObject({ code: 'LOCALE_DEPENDENT', line: 6, column: 9 });
    expect((error as Error).message).toBe(
      'Cannot parse PKGBUILD line 6 col 9: bracket expression [9-0] has a range out of order',
    );
  });

  it('the counterexample fast-check found (`[0;;-9]`) is a ParseError too', () => {
    expect(() => parsePkgbuild(pkgbuild('groups=("${_f%[0;;-9]*}")'))).toThrow(ParseError);
  });

  it('an ordered range still matches as bash does', () => {
    expect(parsePkgbuild(pkgbuild('pkgdesc=${_f%[0-9]*}')).fields.pkgdesc).toBe('archive-1.2.');
  });
});
