import { join } from 'node:path';
import type { SourceSpec } from '../../../shared/pkgbuild/source.ts';
import { NO_FOLLOW_RULE } from '../sandbox/no-follow.ts';
import { SourceError } from './source-error.ts';

/**
 * makepkg's get_filepath with SRCDEST = startdir (its default): where a source lives once
 * retrieved. VCS sources are directories (a bare mirror for git), the rest are files. A name
 * that would leave startdir (`../x::https://…`) is refused: the agent writes downloads there.
 */
export function sourcePath(startdir: string, spec: SourceSpec): string {
  const name = spec.filename;
  if (name === '' || name === '.' || name === '..' || name.includes('/')) {
    throw new SourceError(
      `Refused source file name "${name}": it must stay inside the build directory (rule: ${NO_FOLLOW_RULE})`,
    );
  }
  return join(startdir, name);
}
