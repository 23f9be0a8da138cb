/** The rules install enforces on a package tree; each refusal names one. */
export type InstallRule =
  | 'parent-symlink'
  | 'symlink-escape'
  | 'special-file'
  | 'hard-link'
  | 'file-too-large'
  | 'tree-too-large'
  | 'too-many-files'
  | 'duplicate-path'
  | 'path-conflict'
  | 'no-follow'
  | 'changed';

/** The install step could not put the package in place; nothing was left half-installed. */
export class InstallError extends Error {
  override name = 'InstallError';
  constructor(
    message: string,
    /** The file (relative to the install root) the refusal is about. */
    readonly path?: string,
    /** The rule the package tree broke, when it was refused rather than failed. */
    readonly rule?: InstallRule,
  ) {
    super(message);
  }
}
