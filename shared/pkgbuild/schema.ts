/**
 * makepkg 6.0.2's variable schema (util/schema.sh) and the option names its lint accepts,
 * kept in makepkg's own order because .SRCINFO output follows it.
 */

export const HASH_ALGOS = ['ck', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'b2'];
const SUMS = HASH_ALGOS.map((a) => `${a}sums`);

export const SCHEMA_ARRAYS = [
  'arch',
  'backup',
  'checkdepends',
  'conflicts',
  'depends',
  'groups',
  'license',
  'makedepends',
  'noextract',
  'optdepends',
  'options',
  'provides',
  'replaces',
  'source',
  'validpgpkeys',
  ...SUMS,
];

export const SCHEMA_STRINGS = [
  'changelog',
  'epoch',
  'install',
  'pkgbase',
  'pkgdesc',
  'pkgrel',
  'pkgver',
  'url',
];

export const SCHEMA_ARCH_ARRAYS = [
  'checkdepends',
  'conflicts',
  'depends',
  'makedepends',
  'optdepends',
  'provides',
  'replaces',
  'source',
  ...SUMS,
];

export const SCHEMA_PACKAGE_OVERRIDES = [
  'pkgdesc',
  'arch',
  'url',
  'license',
  'groups',
  'depends',
  'optdepends',
  'provides',
  'conflicts',
  'replaces',
  'backup',
  'options',
  'install',
  'changelog',
];

/** srcinfo.sh's field order for the pkgbase section. */
export const GLOBAL_SINGLE = [
  'pkgdesc',
  'pkgver',
  'pkgrel',
  'epoch',
  'url',
  'install',
  'changelog',
];
export const GLOBAL_MULTI = [
  'arch',
  'groups',
  'license',
  'checkdepends',
  'makedepends',
  'depends',
  'optdepends',
  'provides',
  'conflicts',
  'replaces',
  'noextract',
  'options',
  'backup',
  'source',
  'validpgpkeys',
  ...SUMS,
];

/** srcinfo.sh's field order for a pkgname section. */
export const PACKAGE_SINGLE = ['pkgdesc', 'url', 'install', 'changelog'];
export const PACKAGE_MULTI = [
  'arch',
  'groups',
  'license',
  'checkdepends',
  'depends',
  'optdepends',
  'provides',
  'conflicts',
  'replaces',
  'options',
  'backup',
];

/** srcinfo.sh's multivalued_arch_attrs, in its order. */
export const ARCH_MULTI = [
  'source',
  'provides',
  'conflicts',
  'depends',
  'replaces',
  'optdepends',
  'makedepends',
  'checkdepends',
  ...SUMS,
];

/** packaging_options + build_options as makepkg 6.0.2 registers them (tidy/*, buildenv/*). */
export const KNOWN_OPTIONS = [
  'strip',
  'debug',
  'zipman',
  'staticlibs',
  'libtool',
  'docs',
  'purge',
  'emptydirs',
  'lto',
  'makeflags',
  'buildflags',
  'ccache',
  'distcc',
];

export const ARRAY_SET = new Set(SCHEMA_ARRAYS);
export const STRING_SET = new Set(SCHEMA_STRINGS);
export const ARCH_ARRAY_SET = new Set(SCHEMA_ARCH_ARRAYS);
export const OVERRIDE_SET = new Set(SCHEMA_PACKAGE_OVERRIDES);
