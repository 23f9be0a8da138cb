/**
 * Every way a PKGBUILD can be refused, as a stable code. The edge and the agent match on these,
 * so a code is never renamed; the README lists each one with its meaning.
 */
export const PARSE_ERROR_CODES = [
  // Bash syntax that makepkg's `source` would reject too.
  'CRLF',
  'UNTERMINATED_QUOTE',
  'UNTERMINATED_EXPANSION',
  'UNEXPECTED_TOKEN',
  'UNEXPECTED_EOF',
  'BAD_SUBSTITUTION',
  // Constructs whose result cannot be known without running bash.
  'COMMAND_SUBSTITUTION',
  'EVAL',
  'SOURCE',
  'LOOP',
  'SUBSHELL',
  'PIPELINE',
  'REDIRECTION',
  'ARITHMETIC',
  'GLOB',
  'TILDE',
  'UNSUPPORTED_COMMAND',
  'UNSUPPORTED_EXPANSION',
  'UNSUPPORTED_ASSIGNMENT',
  'ENVIRONMENT_VARIABLE',
  'UNDECIDABLE_CONDITION',
  'LOCALE_DEPENDENT',
  'OVERRIDE_UNSUPPORTED',
  'SOURCE_FAILED',
  // A bound the caller set (or its default) was exceeded: size, loop iterations, brace words.
  'LIMIT_EXCEEDED',
  // makepkg's lint_pkgbuild rules, which make `makepkg --printsrcinfo` exit 12.
  'LINT_ARCH',
  'LINT_ARCH_SPECIFIC',
  'LINT_BACKUP',
  'LINT_CHANGELOG',
  'LINT_DEPENDENCY',
  'LINT_EPOCH',
  'LINT_INSTALL',
  'LINT_OPTIONS',
  'LINT_PACKAGE_FUNCTION',
  'LINT_PACKAGE_FUNCTION_VARIABLE',
  'LINT_PKGBASE',
  'LINT_PKGNAME',
  'LINT_PKGREL',
  'LINT_PKGVER',
  'LINT_PROVIDES',
  'LINT_VARIABLE_TYPE',
] as const;

export type ParseErrorCode = (typeof PARSE_ERROR_CODES)[number];

/**
 * A PKGBUILD that cannot be read statically, or that makepkg itself would refuse.
 * `line` and `column` are 1-based and point at the construct that failed.
 * @example
 * try { parsePkgbuild('pkgdesc="oops') } catch (e) {
 *   if (e instanceof ParseError) e.message
 *   // 'Cannot parse PKGBUILD line 1 col 9: unterminated double quote'
 * }
 */
export class ParseError extends Error {
  override name = 'ParseError';
  readonly code: ParseErrorCode;
  readonly line: number;
  readonly column: number;
  /** The failure without the location prefix, e.g. `unterminated double quote`. */
  readonly reason: string;
  readonly filename: string;
  /** For an unknown value that reached the .SRCINFO: where that value came from. */
  readonly origin?: { line: number; column: number; reason: string };

  constructor(
    code: ParseErrorCode,
    reason: string,
    line: number,
    column: number,
    filename = 'PKGBUILD',
    origin?: { line: number; column: number; reason: string },
  ) {
    const full = origin
      ? `${reason} (the unknown value comes from line ${origin.line} col ${origin.column}: ${origin.reason})`
      : reason;
    super(`Cannot parse ${filename} line ${line} col ${column}: ${full}`);
    if (origin) this.origin = origin;
    this.code = code;
    this.line = line;
    this.column = column;
    this.reason = full;
    this.filename = filename;
  }
}

/**
 * Errors are raised deep inside the parser with only a source offset; this turns the offset into
 * a line and column once, at the boundary, so the hot path never counts lines. It is not an
 * Error on purpose: it never leaves parsePkgbuild (which throws a ParseError in its place), and
 * an unknown value that no field reads is thrown and caught on a path that does not refuse, where
 * capturing a stack trace each time cost more than the rest of the assignment.
 */
export class PendingError {
  constructor(
    readonly code: ParseErrorCode,
    readonly reason: string,
    readonly offset: number,
    /** Where an unknown value that reached this place was made. */
    readonly origin?: UnknownOrigin,
  ) {}
}

/** Where a value the parser cannot know was made: a command substitution, the environment, a glob. */
export type UnknownOrigin = { code: ParseErrorCode; reason: string; offset: number };

/** Throws a PendingError at `offset`; the parser's entry point converts it to a ParseError. */
export function fail(code: ParseErrorCode, reason: string, offset: number): never {
  throw new PendingError(code, reason, offset);
}

/** 1-based line and column of `offset` in `text`. */
export function locate(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}
