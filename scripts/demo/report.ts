/**
 * Tells, per demo mail, what the journal says happened (rule, handler, each action done or skipped and why) and
 * what is to be seen on the servers and on disk, and judges both against the mail's expected outcome. Pure: the
 * demo gathers the journal events, the server view and the files, this module only reads them.
 *
 * @module
 */
import { isMessageEvent, type StoredEvent } from '../../runtime/journal/events.js';
import type { Rule, RuleAction } from '../../runtime/rules/types.js';
import type { DemoMail, ExpectedFile } from './mails.js';
import type { ServerView, ViewedMessage } from './servers-view.js';

/** Contents of the files the handlers wrote, by path relative to the working directory. */
export type FileView = Readonly<Record<string, string>>;

/**
 * What the demo prints for one mail and whether it reached its expected end.
 *
 * @example
 * ```ts
 * const verdict = reportMail({ mail, position: 1, total: 4, events, rules, view, files, watched: 'support@example.test' });
 * console.log(verdict.lines.join('\n'));
 * if (!verdict.ok) process.exitCode = 1;
 * ```
 */
export interface MailVerdict {
  readonly ok: boolean;
  readonly lines: readonly string[];
}

/**
 * Everything {@link reportMail} reads.
 *
 * @example
 * ```ts
 * const input: ReportInput = { mail, position: 1, total: 4, events: watch.events, rules, view, files, watched: 'support@example.test' };
 * ```
 */
export interface ReportInput {
  readonly mail: DemoMail;
  readonly position: number;
  readonly total: number;
  /** The journal (all events; the mail's are picked by Message-ID). */
  readonly events: readonly StoredEvent[];
  /** The watched mailbox's rules as configured (to name what each action index stands for). */
  readonly rules: readonly Rule<unknown>[];
  readonly view: ServerView;
  readonly files: FileView;
  /** The watched mailbox's user. */
  readonly watched: string;
}

const OK = '✓';
const NO = '✗';

function describeAction(action: RuleAction | undefined, fallback: string): string {
  if (!action) return fallback;
  switch (action.kind) {
    case 'moveTo':
      return `moveTo ${action.folder}`;
    case 'flag':
      return `flag ${action.flag}`;
    case 'forward':
    case 'send':
      return `${action.kind} to ${action.to.join(', ')}`;
    default:
      return action.kind;
  }
}

function row(label: string, text: string): string {
  return `        ${label.padEnd(12)} ${text}`;
}

/** The journal's account of one message, one line per step (starts are left out: their outcome follows). */
function journalLines(events: readonly StoredEvent[], rules: readonly Rule<unknown>[]): string[] {
  const ruleNamed = (name: string) => rules.find((rule) => rule.name === name);
  const lines: string[] = [];
  for (const event of events) {
    switch (event.type) {
      case 'message.discovered':
        lines.push(row('discovered', `as ${event.key}`));
        break;
      case 'message.matched':
        lines.push(row('matched', `${event.rules.length === 1 ? 'rule' : 'rules'} ${event.rules.join(', ')}`));
        break;
      case 'message.unmatched':
        lines.push(row('matched', 'no rule: the message is left as it is'));
        break;
      case 'handler.succeeded':
      case 'handler.failed': {
        const handler = ruleNamed(event.rule)?.handler;
        const what = handler?.kind === 'command' ? handler.command.join(' ') : `handler of ${event.rule}`;
        const outcome =
          event.type === 'handler.succeeded'
            ? `succeeded (exit code 0, attempt ${event.attempt})`
            : `failed: ${event.code}: ${event.reason}`;
        lines.push(row('handler', `${what} → ${outcome}`));
        break;
      }
      case 'action.done':
      case 'action.skipped':
      case 'action.failed': {
        const what = describeAction(ruleNamed(event.rule)?.actions[event.index], event.kind);
        let outcome: string;
        if (event.type === 'action.done') {
          outcome = event.recipients?.length ? `done, sent to ${event.recipients.join(', ')}` : 'done';
        } else if (event.type === 'action.skipped') {
          outcome = `SKIPPED by loop protection: ${event.code} (${event.reason})`;
        } else {
          outcome = `failed: ${event.code}: ${event.reason}`;
        }
        lines.push(row('action', `${what} → ${outcome}`));
        break;
      }
      case 'message.handled':
        lines.push(row('end', 'handled'));
        break;
      case 'message.deadLettered':
        lines.push(row('end', `dead-lettered: ${event.reason}`));
        break;
      default:
        break;
    }
  }
  return lines;
}

/** An action the journal shows as settled. */
interface SettledAction {
  readonly kind: string;
  readonly outcome: string;
  readonly code?: string;
}

/** Differences between the journal and the expected outcome. */
function journalProblems(mail: DemoMail, events: readonly StoredEvent[]): string[] {
  const expected = mail.expected;
  const problems: string[] = [];
  if (events.length === 0) return ['the journal has no event for this message: it was never discovered'];
  const matched = events.find((e) => e.type === 'message.matched');
  const rules = matched?.type === 'message.matched' ? matched.rules : [];
  if (rules.join(',') !== expected.rules.join(',')) {
    problems.push(`expected rules ${expected.rules.join(', ') || '(none)'}, matched ${rules.join(', ') || '(none)'}`);
  }
  const handlerRan = events.some((e) => e.type === 'handler.succeeded');
  if (expected.handler !== handlerRan) {
    problems.push(expected.handler ? 'expected the handler to succeed' : 'expected no handler to run');
  }
  const settled = events.flatMap((e): SettledAction[] =>
    e.type === 'action.done'
      ? [{ kind: e.kind, outcome: 'done' }]
      : e.type === 'action.skipped'
        ? [{ kind: e.kind, outcome: 'skipped', code: e.code }]
        : [],
  );
  const show = (list: readonly SettledAction[]) =>
    list.map((a) => `${a.kind} ${a.outcome}${a.code ? ` (${a.code})` : ''}`).join(', ') || '(none)';
  if (show(settled) !== show(expected.actions)) {
    problems.push(`expected actions ${show(expected.actions)}; the journal has ${show(settled)}`);
  }
  const end = events.findLast((e) =>
    ['message.handled', 'message.unmatched', 'message.deadLettered'].includes(e.type),
  )?.type;
  const endName = end?.replace('message.', '') ?? 'no end yet';
  if (endName !== expected.end) problems.push(`expected the message to end ${expected.end}, it is ${endName}`);
  return problems;
}

function check(ok: boolean, text: string): { ok: boolean; line: string } {
  return { ok, line: `        ${ok ? OK : NO} ${text}` };
}

function placeOf(message: ViewedMessage): string {
  return `${message.folder === 'INBOX' ? 'still in INBOX' : `in ${message.folder}`}, ${message.seen ? 'marked read' : 'unread'}`;
}

function fileSummary(path: string, text: string, contains: string): string {
  try {
    const ticket = JSON.parse(text) as Record<string, unknown>;
    if (typeof ticket.ticket === 'string') {
      const fields = Object.entries(ticket)
        .filter(([key]) => !['ticket', 'createdAt', 'source', 'message', 'name', 'email'].includes(key))
        .map(([key, value]) => `${key} ${String(value)}`);
      return `${path}: ticket ${ticket.ticket} for ${String(ticket.name)} <${String(ticket.email)}>, ${fields.join(', ')}`;
    }
  } catch {
    // not JSON: show the line that mentions what was expected
  }
  const line = text.split('\n').find((l) => l.includes(contains)) ?? '';
  return `${path}: ${line.trim()}`;
}

function fileCheck(expected: ExpectedFile, files: FileView): { ok: boolean; line: string } {
  const candidates = Object.entries(files).filter(([path]) =>
    expected.path.endsWith('/') ? path.startsWith(expected.path) : path === expected.path,
  );
  const hit = candidates.find(([, text]) => text.includes(expected.contains));
  if (hit) return check(true, fileSummary(hit[0], hit[1], expected.contains));
  return check(
    false,
    candidates.length === 0
      ? `${expected.path}: not written`
      : `${expected.path}: nothing mentions ${JSON.stringify(expected.contains)}`,
  );
}

/** What the servers and files show, judged against the expected outcome. */
function serverChecks(input: ReportInput): { ok: boolean; line: string }[] {
  const { mail, view, files, watched } = input;
  const expected = mail.expected;
  const checks: { ok: boolean; line: string }[] = [];
  const original = view.mailboxes[watched]?.find((m) => m.messageId === mail.messageId);
  if (!original) {
    checks.push(check(false, `${watched}: the message is in none of its folders`));
  } else {
    const ok = original.folder === expected.folder && original.seen === expected.seen;
    const want = `${expected.folder}, ${expected.seen ? 'marked read' : 'unread'}`;
    checks.push(check(ok, `${watched}: ${placeOf(original)}${ok ? '' : ` (expected ${want})`}`));
  }
  if (expected.replyTo) {
    const inbox = view.mailboxes[expected.replyTo] ?? [];
    const reply = inbox.find((m) => m.inReplyTo === mail.messageId);
    const ok =
      reply !== undefined &&
      reply.subject === `Re: ${mail.subject}` &&
      (reply.autoSubmitted ?? '').toLowerCase().startsWith('auto-replied');
    checks.push(
      check(
        ok,
        reply
          ? `${expected.replyTo} got the reply "${reply.subject}" (Auto-Submitted: ${reply.autoSubmitted ?? 'missing'})`
          : `${expected.replyTo} got no reply (INBOX has ${inbox.length} message(s))`,
      ),
    );
  }
  if (expected.noReplyTo) {
    const inbox = view.mailboxes[expected.noReplyTo] ?? [];
    const sent = view.smtpRecipients.filter((r) => r.toLowerCase() === expected.noReplyTo);
    checks.push(
      check(
        inbox.length === 0 && sent.length === 0,
        inbox.length === 0 && sent.length === 0
          ? `${expected.noReplyTo} got nothing: INBOX empty, no SMTP delivery to it`
          : `${expected.noReplyTo} was answered: ${inbox.length} message(s) in its INBOX, ${sent.length} SMTP delivery(ies)`,
      ),
    );
  }
  if (expected.file) checks.push(fileCheck(expected.file, files));
  return checks;
}

/**
 * The report of one demo mail: its journal, its traces on the servers, and the verdict.
 *
 * @example
 * ```ts
 * const { ok, lines } = reportMail({ mail, position: 4, total: 4, events, rules, view, files, watched: 'support@example.test' });
 * ```
 */
export function reportMail(input: ReportInput): MailVerdict {
  const { mail } = input;
  const events = input.events.filter((e) => isMessageEvent(e) && e.messageId === mail.messageId);
  const problems = journalProblems(mail, events);
  const checks = serverChecks(input);
  const ok = problems.length === 0 && checks.every((c) => c.ok);
  const lines = [
    `[${input.position}/${input.total}] "${mail.subject}" from ${mail.from}`,
    `      ${mail.label}`,
    '      journal:',
    ...journalLines(events, input.rules),
    '      on the servers:',
    ...checks.map((c) => c.line),
    ...problems.map((p) => `      ${NO} ${p}`),
    ok ? `      ${OK} reached the expected end` : `      ${NO} did NOT reach the expected end`,
  ];
  return { ok, lines };
}

/**
 * Whether the journal shows the mail at an end (handled, unmatched or dead-lettered).
 *
 * @example
 * ```ts
 * await watch.until('all mails done', (events) => (mails.every((m) => hasEnded(events, m.messageId)) ? true : undefined), { timeoutMs: 60_000 });
 * ```
 */
export function hasEnded(events: readonly StoredEvent[], messageId: string): boolean {
  return events.some(
    (e) =>
      isMessageEvent(e) &&
      e.messageId === messageId &&
      (e.type === 'message.handled' || e.type === 'message.unmatched' || e.type === 'message.deadLettered'),
  );
}
