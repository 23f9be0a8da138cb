/**
 * The source grammar of a PKGBUILD entry, `[name::]url[#fragment][?query]`, read exactly
 * the way makepkg's util/source.sh reads it (get_protocol, get_filename, get_url,
 * get_uri_fragment, get_uri_query), so the agent fetches what makepkg would fetch.
 */

export type SourceProtocol = 'local' | 'http' | 'https' | 'ftp' | 'file' | VcsProtocol | string;
export type VcsProtocol = 'git' | 'hg' | 'svn' | 'bzr' | 'fossil';

const VCS = new Set(['bzr', 'fossil', 'git', 'hg', 'svn']);

/** A VCS fragment: `#branch=main`, `#tag=v1`, `#commit=abc`, `#revision=12`. */
export type SourceFragment = { kind: string; value: string };

export type SourceSpec = {
  /** The entry as written in the PKGBUILD. */
  raw: string;
  /** The explicit `name::` rename, if any. */
  rename?: string;
  /** The entry without its `name::` prefix (makepkg's get_url). */
  url: string;
  /** makepkg's get_protocol: `git` for `git+https://…`, `local` for a bare file name. */
  protocol: SourceProtocol;
  /** For `git+https://…`, the transport after the `+` (`https`); else undefined. */
  transport?: string;
  /** The name makepkg stores the source under in SRCDEST and links into srcdir. */
  filename: string;
  /** The raw fragment (without `#`), query stripped, as get_uri_fragment returns it. */
  fragment?: string;
  /** The raw query (without `?`), fragment stripped, as get_uri_query returns it. */
  query?: string;
  /** The VCS reference (`branch`, `tag`, `commit`, `revision` and its value) as makepkg's
   * source/<vcs>.sh reads it, for VCS protocols. */
  vcs?: SourceFragment;
  isVcs: boolean;
  isLocal: boolean;
};

const afterRename = (entry: string): string => {
  const i = entry.indexOf('::');
  return i === -1 ? entry : entry.slice(i + 2);
};

/** makepkg's get_protocol. */
export function sourceProtocol(entry: string): SourceProtocol {
  if (entry.includes('://')) {
    let proto = afterRename(entry);
    const i = proto.indexOf('://');
    if (i !== -1) proto = proto.slice(0, i);
    const plus = proto.indexOf('+');
    return plus === -1 ? proto : proto.slice(0, plus);
  }
  if (entry.includes('lp:')) {
    const proto = afterRename(entry);
    const i = proto.indexOf('+lp:');
    return i === -1 ? proto : proto.slice(0, i);
  }
  return 'local';
}

/** makepkg's get_filename. */
export function sourceFilename(entry: string): string {
  const i = entry.indexOf('::');
  if (i !== -1) return entry.slice(0, i);
  const proto = sourceProtocol(entry);
  if (VCS.has(proto)) {
    let name = cutFrom(entry, '#');
    name = cutFrom(name, '?');
    if (name.endsWith('/')) name = name.slice(0, -1);
    name = name.slice(name.lastIndexOf('/') + 1);
    if (proto === 'bzr') {
      const lp = name.indexOf('lp:');
      if (lp !== -1) name = name.slice(lp + 3);
    }
    if (proto === 'fossil') name = `${name}.fossil`;
    if (proto === 'git') name = cutFrom(name, '.git');
    return name;
  }
  return entry.slice(entry.lastIndexOf('/') + 1);
}

/** makepkg's get_uri_fragment. */
export function sourceFragment(entry: string): string | undefined {
  const i = entry.indexOf('#');
  if (i === -1) return undefined;
  const fragment = entry.slice(i + 1);
  const q = fragment.lastIndexOf('?');
  return q === -1 ? fragment : fragment.slice(0, q);
}

/** makepkg's get_uri_query. */
export function sourceQuery(entry: string): string | undefined {
  const i = entry.indexOf('?');
  if (i === -1) return undefined;
  const query = entry.slice(i + 1);
  const h = query.lastIndexOf('#');
  return h === -1 ? query : query.slice(0, h);
}

/**
 * Parses one `source=()` entry.
 * @example parseSource('git+https://github.com/veighnsche/llama-orch.git#branch=main')
 * // { protocol: 'git', transport: 'https', filename: 'llama-orch', vcs: { kind: 'branch', value: 'main' }, … }
 */
export function parseSource(entry: string): SourceSpec {
  const protocol = sourceProtocol(entry);
  const isVcs = VCS.has(protocol);
  const url = afterRename(entry);
  const renameAt = entry.indexOf('::');
  const fragment = sourceFragment(entry);
  const query = sourceQuery(entry);
  const spec: SourceSpec = {
    raw: entry,
    url,
    protocol,
    filename: sourceFilename(entry),
    isVcs,
    isLocal: protocol === 'local',
  };
  if (renameAt !== -1) spec.rename = entry.slice(0, renameAt);
  if (fragment !== undefined) spec.fragment = fragment;
  if (query !== undefined) spec.query = query;
  const scheme = url.indexOf('://');
  if (scheme !== -1) {
    const head = url.slice(0, scheme);
    const plus = head.indexOf('+');
    if (plus !== -1) spec.transport = head.slice(plus + 1);
  }
  if (isVcs) {
    const vcs = vcsFragment(entry, protocol);
    if (vcs) spec.vcs = vcs;
  }
  return spec;
}

/**
 * The reference a VCS source asks for, read the way each of makepkg's source/*.sh reads it:
 * git and fossil take get_uri_fragment (query removed), hg, svn and bzr take everything after
 * the first `#`; the kind is up to the first `=`, the value after the last one (bzr: the first).
 */
function vcsFragment(entry: string, protocol: string): SourceFragment | undefined {
  const hash = entry.indexOf('#');
  if (hash === -1) return undefined;
  const fragment =
    protocol === 'git' || protocol === 'fossil' ? sourceFragment(entry)! : entry.slice(hash + 1);
  if (!fragment) return undefined;
  const eq = fragment.indexOf('=');
  if (eq === -1) return { kind: fragment, value: '' };
  const value =
    protocol === 'bzr' ? fragment.slice(eq + 1) : fragment.slice(fragment.lastIndexOf('=') + 1);
  return { kind: fragment.slice(0, eq), value };
}

/** `${s%%pat*}` for a literal pat: everything before the first occurrence. */
function cutFrom(s: string, pat: string): string {
  const i = s.indexOf(pat);
  return i === -1 ? s : s.slice(0, i);
}
