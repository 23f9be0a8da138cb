import { join } from 'node:path';
import type { SourceSpec } from '../../../shared/pkgbuild/source.ts';

/**
 * makepkg's get_filepath with SRCDEST = startdir (its default): where a source lives once
 * retrieved. VCS sources are directories (a bare mirror for git), the rest are files.
 */
export function sourcePath(startdir: string, spec: SourceSpec): string {
  return join(startdir, spec.filename);
}
