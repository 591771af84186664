/**
 * The rule model (SPEC S13, issue 4): what a rule selects (a condition tree) and what it does (a handler and/or
 * built-in actions). Plain data, JSON-serialisable except a host function handler; `parseRules` builds it from the
 * config and `RuleMatcher` evaluates it.
 *
 * @module
 */
import type { ActionKind } from '../journal/events.js';

/**
 * A test of one string value. Comparisons are case-insensitive unless `caseSensitive`; a regex gets the `i` flag
 * unless `caseSensitive` (a host `RegExp` keeps its own flags).
 *
 * @example
 * ```ts
 * const t: StringTest = { op: 'startsWith', value: 'Undelivered', caseSensitive: false };
 * const r: StringTest = { op: 'regex', source: '^(Undelivered|Mail delivery failed)', flags: 'i' };
 * ```
 */
export type StringTest =
  | {
      readonly op: 'equals' | 'contains' | 'startsWith' | 'endsWith';
      readonly value: string;
      readonly caseSensitive: boolean;
    }
  | { readonly op: 'regex'; readonly source: string; readonly flags: string };

/**
 * The address fields a condition can test. Each address is tried both as `Name <addr>` and as the bare `addr`; the
 * condition holds when any address of the field passes.
 *
 * @example
 * ```ts
 * const field: AddressField = 'from';
 * ```
 */
export type AddressField = 'from' | 'to' | 'cc';

/**
 * A normalised match condition.
 *
 * - `subject`, `from`/`to`/`cc` (`kind: 'address'`): a string test.
 * - `header`: some value of the header (name lower-case) passes the test; `test: null` means "the header exists".
 * - `allOf` / `anyOf` / `not`: combinators (`allOf: []` holds, `anyOf: []` does not).
 * - `all`: every message (`matchAll: true` in the config).
 * - `size`: the size the server reports (IMAP RFC822.SIZE, POP3 LIST, MAPI PR_MESSAGE_SIZE) is over and/or under
 *   a bound in bytes (`over` exclusive, `under` exclusive).
 * - `attachment`: the message has an attachment (`name`: a glob on its file name, `type`: a MIME type, `image/*`
 *   allowed; both case-insensitive). Known from IMAP's BODYSTRUCTURE without downloading; elsewhere the message is
 *   fetched, and only when the rule's other conditions hold.
 * - `body`: a string test on the text part (text/plain, else the text of the HTML part), at most the first
 *   {@link MAX_TESTED_LENGTH} characters; fetched only for messages whose other conditions already hold.
 *
 * @example
 * ```ts
 * const c: Condition = { kind: 'allOf', conditions: [
 *   { kind: 'subject', test: { op: 'equals', value: 'Newsletter confirmation', caseSensitive: false } },
 *   { kind: 'not', condition: { kind: 'header', name: 'list-id', test: null } },
 * ] };
 * ```
 */
export type Condition =
  | { readonly kind: 'subject'; readonly test: StringTest }
  | { readonly kind: 'address'; readonly field: AddressField; readonly test: StringTest }
  | { readonly kind: 'header'; readonly name: string; readonly test: StringTest | null }
  | { readonly kind: 'allOf' | 'anyOf'; readonly conditions: readonly Condition[] }
  | { readonly kind: 'not'; readonly condition: Condition }
  | { readonly kind: 'all' }
  | { readonly kind: 'size'; readonly over?: number; readonly under?: number }
  | { readonly kind: 'attachment'; readonly name?: string; readonly type?: string }
  | { readonly kind: 'body'; readonly test: StringTest };

/**
 * A built-in action (data only; the runtime performs it through the adapter or the SMTP transport).
 *
 * - `reply`: to the sender (Reply-To, else From), subject `Re: …` unless given; needs `text` or `html`.
 * - `forward`: the message to fixed addresses, with an optional note (`text`) and subject.
 * - `send`: a new message to fixed addresses.
 * - `moveTo`, `markRead`, `flag`, `delete`: on the message itself.
 *
 * @example
 * ```ts
 * const actions: RuleAction[] = [
 *   { kind: 'reply', text: 'Thank you, your subscription is confirmed.' },
 *   { kind: 'moveTo', folder: 'Processed' },
 * ];
 * ```
 */
export type RuleAction =
  | { readonly kind: 'reply'; readonly text?: string; readonly html?: string; readonly subject?: string }
  | {
      readonly kind: 'forward';
      readonly to: readonly string[];
      readonly cc?: readonly string[];
      readonly text?: string;
      readonly subject?: string;
    }
  | {
      readonly kind: 'send';
      readonly to: readonly string[];
      readonly cc?: readonly string[];
      readonly subject: string;
      readonly text?: string;
      readonly html?: string;
    }
  | { readonly kind: 'moveTo'; readonly folder: string }
  | { readonly kind: 'markRead' }
  | { readonly kind: 'flag'; readonly flag: string }
  | { readonly kind: 'delete' };

/**
 * The kinds of {@link RuleAction}: the journal's `ActionKind` (the parser's table is keyed by it, so the two cannot
 * drift apart).
 *
 * @example
 * ```ts
 * const kind: RuleActionKind = 'forward';
 * ```
 */
export type RuleActionKind = ActionKind & RuleAction['kind'];

/**
 * A command handler from the config: run without a shell, the raw message on stdin, metadata in the environment.
 *
 * @example
 * ```ts
 * const h: CommandHandlerSpec = { kind: 'command', command: ['node', 'handlers/bounce.js'], timeoutMs: null,
 *   cwd: null, env: {} };
 * ```
 */
export interface CommandHandlerSpec {
  readonly kind: 'command';
  /** Program and arguments (never a shell line). */
  readonly command: readonly string[];
  /** As configured (`run.timeout`), or `null`: then the mailbox's default applies, else {@link DEFAULT_HANDLER_TIMEOUT_MS}. */
  readonly timeoutMs: number | null;
  /** Working directory as configured (the runtime resolves it against the config file's directory), or `null`. */
  readonly cwd: string | null;
  /** Extra environment variables for the command. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Names of the service's own environment variables passed through to the command (`run.passEnv`), besides the
   * minimal environment; absent = none (issue 13 point 5).
   */
  readonly passEnv?: readonly string[];
}

/**
 * A handler that is a function of the host program (embedded use, `autopilot.rule(match, fn)`).
 *
 * @example
 * ```ts
 * const h: HostHandlerSpec = { kind: 'host', fn: async (message) => console.log(message.envelope.subject) };
 * ```
 */
export interface HostHandlerSpec<F = (...args: any[]) => unknown> {
  readonly kind: 'host';
  readonly fn: F;
}

/**
 * A rule: tried in order; when `match` holds, its handler runs, then its actions in order. `stop` ends the search
 * for further matching rules.
 *
 * @example
 * ```ts
 * const rule: Rule = {
 *   name: 'optin',
 *   match: { kind: 'subject', test: { op: 'equals', value: 'Newsletter confirmation', caseSensitive: false } },
 *   handler: null,
 *   actions: [{ kind: 'reply', text: 'Confirmed.' }, { kind: 'moveTo', folder: 'Processed' }],
 *   stop: false,
 * };
 * ```
 */
export interface Rule<F = (...args: any[]) => unknown> {
  readonly name: string;
  readonly match: Condition;
  readonly handler: CommandHandlerSpec | HostHandlerSpec<F> | null;
  readonly actions: readonly RuleAction[];
  readonly stop: boolean;
}

/**
 * The command timeout when neither the rule nor the mailbox gives one: two minutes.
 *
 * @example
 * ```ts
 * const timeoutMs = spec.timeoutMs ?? mailboxDefault ?? DEFAULT_HANDLER_TIMEOUT_MS;
 * ```
 */
export const DEFAULT_HANDLER_TIMEOUT_MS = 120_000;
