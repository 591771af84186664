/**
 * Configuration errors: each names the mailbox (by id), the field path and what is expected, and all problems of a
 * file are reported together so an administrator fixes them in one pass.
 *
 * @module
 */

/**
 * One problem in a configuration.
 *
 * @example
 * ```ts
 * const issue: ConfigIssue = { mailboxId: 'support', path: 'mailboxes[0].unreadOnly', message: 'POP3 sees every message (S5)' };
 * ```
 */
export interface ConfigIssue {
  /** The mailbox's id when the problem is inside a mailbox (and its id is readable). */
  readonly mailboxId?: string;
  /** Field path such as `mailboxes[0].smtp.server`. */
  readonly path: string;
  readonly message: string;
  /** Where in the file (1-based), when the config came from a file. Never the text itself: it may hold a secret. */
  readonly line?: number;
  readonly column?: number;
}

/**
 * An invalid configuration. `issues` lists every problem; the message prints one per line.
 *
 * @example
 * ```ts
 * try { await loadConfig('autopilot.yaml'); } catch (e) { if (e instanceof ConfigError) console.error(e.message); }
 * ```
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly issues: readonly ConfigIssue[],
    readonly file?: string,
  ) {
    super(
      `${file ? `${file}: ` : ''}invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues.map((issue) => `  - ${formatIssue(issue, file)}`).join('\n')}`,
    );
  }
}

/**
 * One issue as a line: `autopilot.yaml:4:13: mailbox "support" (mailboxes[0].server): expected …` (the position as
 * editors and compilers write it, when known).
 *
 * @example
 * ```ts
 * formatIssue({ mailboxId: 'a', path: 'mailboxes[0].server', message: 'expected a server', line: 4, column: 5 }, 'a.yaml');
 * // 'a.yaml:4:5: mailbox "a" (mailboxes[0].server): expected a server'
 * ```
 */
export function formatIssue(issue: ConfigIssue, file?: string): string {
  const where = issue.line === undefined ? '' : `${file ? `${file}:` : 'line '}${issue.line}:${issue.column ?? 1}: `;
  return issue.mailboxId
    ? `${where}mailbox "${issue.mailboxId}" (${issue.path}): ${issue.message}`
    : `${where}${issue.path}: ${issue.message}`;
}

/**
 * A zod-style path as text: `['mailboxes', 0, 'smtp', 'server']` → `mailboxes[0].smtp.server`.
 *
 * @example
 * ```ts
 * pathToString(['mailboxes', 1, 'id']); // 'mailboxes[1].id'
 * ```
 */
export function pathToString(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text ? `.${String(part)}` : String(part);
  }
  return text || '(root)';
}
