/**
 * What of the agent's environment a build inherits when the caller gives none: what makepkg's
 * own settings and a build's tools read (locale, time zone, proxies, makepkg.conf overrides,
 * build flags), nothing else. The agent's secrets (RBEE_TOKEN, RBEE_ADMIN_TOKEN) and whatever
 * else its operator exported stay out.
 */
const INHERITED = new Set([
  'PATH',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TERM',
  'SOURCE_DATE_EPOCH',
  'http_proxy',
  'https_proxy',
  'ftp_proxy',
  'no_proxy',
  'all_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'FTP_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'PKGDEST',
  'SRCDEST',
  'SRCPKGDEST',
  'LOGDEST',
  'BUILDDIR',
  'PKGEXT',
  'SRCEXT',
  'GPGKEY',
  'PACKAGER',
  'CARCH',
  'MAKEFLAGS',
  'CFLAGS',
  'CXXFLAGS',
  'CPPFLAGS',
  'LDFLAGS',
  'LTOFLAGS',
  'RUSTFLAGS',
  'DEBUG_CFLAGS',
  'DEBUG_CXXFLAGS',
  'DEBUG_RUSTFLAGS',
]);

/** The agent's own variables: never in a build, whoever passed the environment. */
const AGENT_VARIABLE = /^RBEE_/;

/**
 * The environment a build starts from: the caller's `env` as given (makepkg inherits its
 * caller's), or the allow-listed part of the agent's own; either way without RBEE_*.
 * @example buildEnv(undefined, process.env) // PATH, LANG, … but never RBEE_ADMIN_TOKEN
 */
export function buildEnv(
  given: NodeJS.ProcessEnv | undefined,
  agent: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(given ?? agent)) {
    if (value === undefined || AGENT_VARIABLE.test(name)) continue;
    if (given !== undefined || INHERITED.has(name) || name.startsWith('LC_')) env[name] = value;
  }
  return env;
}
