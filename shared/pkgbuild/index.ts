/**
 * The static PKGBUILD parser and `.SRCINFO` printer (web standards only: the edge runs it).
 * @example
 * import { parsePkgbuild, printSrcinfo } from './shared/pkgbuild/index.ts';
 * printSrcinfo(parsePkgbuild(text, { carch: 'x86_64' }));
 */
export { packageFields } from './package-fields.ts';
export { PARSE_ERROR_CODES, ParseError, type ParseErrorCode } from './parse-error.ts';
export {
  type FieldValue,
  type PackageSection,
  type ParseOptions,
  type Pkgbuild,
  type PkgbuildFunction,
  parsePkgbuild,
} from './parse-pkgbuild.ts';
export {
  parseSource,
  type SourceFragment,
  type SourceProtocol,
  type SourceSpec,
  sourceFilename,
  sourceFragment,
  sourceProtocol,
  sourceQuery,
  type VcsProtocol,
} from './source.ts';
export { printSrcinfo } from './srcinfo.ts';
