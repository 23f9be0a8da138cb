import type { Script } from './ast.ts';
import { BashCommandParser } from './bash-commands.ts';

export { plainText } from './bash-words.ts';

/**
 * Parses bash source into the syntax tree the evaluator walks. It follows bash's grammar for
 * everything PKGBUILDs contain, and fails with bash's own complaint where bash would. The layers
 * live in their own files: `bash-scanner.ts` (blanks, comments, here-documents, reserved words),
 * `bash-words.ts` (quotes and expansions), `bash-conditions.ts` (`[[ … ]]`) and
 * `bash-commands.ts` (lists, compound and simple commands).
 * @example parseBash('pkgname=foo\npackage() { :; }\n').list.length // 2
 */
export function parseBash(src: string): Script {
  const parser = new BashCommandParser(src);
  const list = parser.parseList([]);
  parser.skipSpace(true);
  if (parser.pos < src.length) parser.unexpected();
  return { list, rawLines: parser.raw };
}
