/**
 * The bash syntax tree the PKGBUILD parser builds: only what PKGBUILDs use, with source offsets
 * on every node so a refusal can name its line and column.
 */

/** A piece of a word. `q` marks text that came from quoting, so it is not split, globbed or braced. */
export type Part = LitPart | DqPart | ParamPart | CmdSubPart | ArithPart;

export type LitPart = { t: 'lit'; v: string; q: boolean; start: number };
/** A double-quoted run; its parts are all quoted. */
export type DqPart = { t: 'dq'; parts: Part[]; start: number };
export type ParamPart = {
  t: 'param';
  start: number;
  /** Variable name, or a special parameter (`@`, `1`, `#` …). */
  name: string;
  /** `[@]`, `[*]` or a subscript word. */
  index?: '@' | '*' | Word;
  /** `${#x}`. */
  length?: boolean;
  /** `${!x}`. */
  indirect?: boolean;
  /** Operator: `:-` `-` `:+` `+` `:=` `=` `:?` `?` `%` `%%` `#` `##` `/` `//` `/#` `/%` `^^` `^` `,,` `,` `:` (substring) `@`. */
  op?: string;
  arg?: Word;
  /** Replacement of `/`, or the length of `:`. */
  arg2?: Word;
  /** True when written `${…}` rather than `$x`. */
  braced: boolean;
  /** True inside double quotes. */
  q: boolean;
  /** The text of a malformed `${…}`, which fails when expanded, as in bash. */
  bad?: string;
  /** Quotes inside a double-quoted `${…}`: brace expansion then reads the word its own way. */
  nestedQuotes?: boolean;
  /** The text of a `${…}` whose quoting we do not model: refused when expanded. */
  unsupported?: string;
};
export type CmdSubPart = { t: 'cmdsub'; start: number; body?: List; text: string; q: boolean };
/** `$((expr))` or `$[expr]`; `expr` is the text between the brackets. */
export type ArithPart = { t: 'arith'; start: number; q: boolean; expr: string };

export type Word = {
  parts: Part[];
  start: number;
  end: number;
  /** Braces whose expansion depends on bash's own pairing of nested quotes: refused if expanded. */
  braceAmbiguous?: boolean;
  /** An argument of `declare`/`export`/`local`/`readonly` read as an assignment (`x=(…)`). */
  assign?: Assign;
};

export type Assign = {
  name: string;
  /** `name[subscript]=`: refused at evaluation, kept so the message can say why. */
  subscript?: string;
  append: boolean;
  /** The scalar value (`name=word`); an empty word for `name=`. */
  value?: Word;
  /** The elements of `name=(…)`. */
  array?: Word[];
  start: number;
  end: number;
};

export type Redir = { op: string; target?: Word; start: number; heredoc?: string };

export type SimpleCommand = {
  t: 'simple';
  start: number;
  end: number;
  assigns: Assign[];
  words: Word[];
  redirs: Redir[];
};
export type FunctionDef = {
  t: 'func';
  start: number;
  end: number;
  name: string;
  body: Command;
  /** The body exactly as written, from its opening `{` to its closing `}`. */
  bodyText: string;
  bodyStart: number;
};
export type IfCommand = {
  t: 'if';
  start: number;
  end: number;
  clauses: { cond: List; body: List }[];
  otherwise?: List;
  redirs: Redir[];
};
export type CaseCommand = {
  t: 'case';
  start: number;
  end: number;
  word: Word;
  items: { patterns: Word[]; body: List; term: string; start: number }[];
  redirs: Redir[];
};
export type ForCommand = {
  t: 'for';
  start: number;
  end: number;
  name: string;
  words?: Word[];
  body: List;
  redirs: Redir[];
};
export type LoopCommand = {
  t: 'while' | 'until' | 'select' | 'arithfor';
  start: number;
  end: number;
  cond: List;
  body: List;
  redirs: Redir[];
};
export type GroupCommand = {
  t: 'group' | 'subshell';
  start: number;
  end: number;
  body: List;
  redirs: Redir[];
};
export type CondCommand = {
  t: 'cond';
  start: number;
  end: number;
  expr: CondExpr;
  redirs: Redir[];
};
export type ArithCommand = {
  t: 'arithcmd';
  start: number;
  end: number;
  /** The text between `((` and `))`. */
  expr: string;
  redirs: Redir[];
};

export type Command =
  | SimpleCommand
  | FunctionDef
  | IfCommand
  | CaseCommand
  | ForCommand
  | LoopCommand
  | GroupCommand
  | CondCommand
  | ArithCommand;

export type CondExpr =
  | { t: 'and' | 'or'; left: CondExpr; right: CondExpr; start: number }
  | { t: 'not'; expr: CondExpr; start: number }
  | { t: 'unary'; op: string; arg: Word; start: number }
  | { t: 'binary'; op: string; left: Word; right: Word; start: number }
  | { t: 'word'; word: Word; start: number };

export type Pipeline = { negated: boolean; commands: Command[]; start: number };
export type AndOr = {
  first: Pipeline;
  rest: { op: '&&' | '||'; pipeline: Pipeline }[];
  background: boolean;
  start: number;
};
export type List = AndOr[];

/** Multi-line text the printer of `declare -f` copies verbatim (heredoc bodies, quoted newlines). */
export type RawLines = { text: string; start: number };

export type Script = { list: List; rawLines: RawLines[] };
