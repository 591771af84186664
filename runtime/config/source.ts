/**
 * Reading a config file's text (YAML, or JSON, which YAML 1.2 reads too) with positions: syntax errors and the
 * problems found later are given as line and column, and never with the source text, because the offending line may
 * hold a password (issue 13 point 6: `password: @x` printed the password).
 *
 * @module
 */
import { type Document, isNode, LineCounter, parseDocument } from 'yaml';

/**
 * A position in the file, 1-based.
 *
 * @example
 * ```ts
 * const at: SourcePosition = { line: 3, column: 15 };
 * ```
 */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** What each YAML error means, in words that quote nothing of the file. */
const SYNTAX: Record<string, string> = {
  BAD_SCALAR_START:
    'a plain value cannot start with @, `, % or another reserved character: put the value in quotes (a password too)',
  BLOCK_AS_IMPLICIT_KEY: 'a value contains ": ": put the value in quotes, or break the mapping onto its own lines',
  MULTILINE_IMPLICIT_KEY: 'a key spans several lines: a ":" is probably missing, or a value needs quotes',
  MISSING_CHAR: 'a closing quote, bracket or brace is missing',
  BAD_INDENT: 'the indentation is wrong here',
  TAB_AS_INDENT: 'tabs cannot indent YAML: use spaces',
  DUPLICATE_KEY: 'this key appears twice in the same mapping',
  UNEXPECTED_TOKEN: 'unexpected character: a value may need quotes',
  BAD_DQ_ESCAPE: 'invalid escape in a double-quoted value: use single quotes, or write \\\\ for a backslash',
  BAD_ALIAS: 'invalid alias (*name)',
  TAG_RESOLVE_FAILED: 'unknown tag (!name): a value starting with ! needs quotes',
  MULTIPLE_DOCS: 'more than one document (---) in the file',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  BLOCK_IN_FLOW: 'a block value inside [ ] or { }',
};

/**
 * A parse problem of the file: what and where, without any of its text.
 *
 * @example
 * ```ts
 * const problem: SyntaxProblem = { message: 'the indentation is wrong here', line: 4, column: 3 };
 * ```
 */
export interface SyntaxProblem extends SourcePosition {
  readonly message: string;
}

/**
 * A parsed config file: its value, its syntax problems, and where each field path is.
 *
 * @example
 * ```ts
 * const source = parseConfigSource('mailboxes:\n  - id: a\n');
 * source.positionOf(['mailboxes', 0, 'id']); // { line: 2, column: 5 }
 * ```
 */
export interface ConfigSource {
  readonly value: unknown;
  readonly problems: readonly SyntaxProblem[];
  /** The position of the value at `path`, or of its nearest existing parent (a missing key is reported there). */
  positionOf(path: readonly (string | number)[]): SourcePosition | undefined;
}

/**
 * Parses the text of a config file (YAML or JSON).
 *
 * @example
 * ```ts
 * parseConfigSource('password: @x').problems; // [{ line: 1, column: 11, message: 'a plain value cannot start …' }]
 * ```
 */
export function parseConfigSource(text: string): ConfigSource {
  const lineCounter = new LineCounter();
  const document: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const problems = [...document.errors, ...document.warnings].map((error) => ({
    ...at(error.pos[0]),
    message: SYNTAX[error.code] ?? `YAML syntax error (${error.code})`,
  }));
  let value: unknown;
  if (document.errors.length === 0) {
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch {
      problems.push({ line: 1, column: 1, message: 'the file cannot be read as YAML (aliases nested too deeply?)' });
    }
  }
  return {
    value,
    problems,
    positionOf(path) {
      for (let length = path.length; length >= 0; length--) {
        const node = length === 0 ? document.contents : document.getIn(path.slice(0, length), true);
        if (isNode(node) && node.range) return at(node.range[0]);
      }
      return undefined;
    },
  };
}

/**
 * A field path as written in issues (`mailboxes[0].smtp.server`) back as steps.
 *
 * @example
 * ```ts
 * pathSteps('mailboxes[0].rules[2].subject'); // ['mailboxes', 0, 'rules', 2, 'subject']
 * ```
 */
export function pathSteps(path: string): (string | number)[] {
  const steps: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) steps.push(Number(match[2]));
    else if (match[1] !== undefined) steps.push(match[1]);
  }
  return steps;
}
