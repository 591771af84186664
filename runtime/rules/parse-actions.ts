/**
 * Parses a rule's `actions:` list from the config:
 *
 * ```yaml
 * actions:
 *   - reply: { text: "Thank you, your subscription is confirmed." }   # also: reply: "text"
 *   - forward: { to: [ops@example.test], text: "FYI" }                # also: forward: ops@example.test
 *   - send: { to: ops@example.test, subject: "Form received", text: "…" }
 *   - markRead
 *   - flag: "\\Flagged"                                               # or a keyword: flag: Processed
 *   - moveTo: Processed                                               # moveTo / delete: last, at most one
 *   - delete
 *   - stop                                                            # same as the rule's stop: true
 * ```
 *
 * @module
 */
import type { ActionKind } from '../journal/events.js';
import { hasControlCharacter, isPlainObject, type ParseContext, show } from './config-issues.js';
import type { RuleAction } from './types.js';

/** A bare e-mail address: no display name, no spaces or line breaks (they would end up in a header). */
const ADDRESS = /^[^\s@<>,;"()[\]\\]+@[^\s@<>,;"()[\]\\]+$/;
/** An IMAP flag: a system flag (`\Flagged`) or a keyword atom. */
const FLAG = /^\\?[^\s(){%*"\\\]]+$/;

function text(raw: unknown, ctx: ParseContext, what: string, singleLine: boolean): string | undefined {
  if (typeof raw !== 'string' || raw === '') {
    ctx.fail(`must be a non-empty string (${what}), got ${show(raw)}`);
    return undefined;
  }
  if (singleLine && /[\r\n]/.test(raw)) {
    ctx.fail(`must be one line (${what}): a line break would end the header`);
    return undefined;
  }
  return raw;
}

function addresses(raw: unknown, ctx: ParseContext): string[] | undefined {
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0) {
    ctx.fail(`must be an address or a non-empty list of addresses, got ${show(raw)}`);
    return undefined;
  }
  const out: string[] = [];
  list.forEach((item, i) => {
    const at = Array.isArray(raw) ? ctx.at(i) : ctx;
    if (typeof item !== 'string' || !ADDRESS.test(item.trim())) at.fail(`must be an e-mail address, got ${show(item)}`);
    else out.push(item.trim());
  });
  return out.length === list.length ? out : undefined;
}

function onlyKeys(raw: Record<string, unknown>, allowed: readonly string[], ctx: ParseContext): boolean {
  const unknown = Object.keys(raw).filter((k) => !allowed.includes(k));
  if (unknown.length === 0) return true;
  ctx.fail(`unknown key ${show(unknown[0])} (expected ${allowed.join(', ')})`);
  return false;
}

/** Optional string fields of a message-producing action: returns false when one was invalid. */
function optionalTexts(
  raw: Record<string, unknown>,
  ctx: ParseContext,
  fields: readonly [name: string, singleLine: boolean][],
  into: Record<string, unknown>,
): boolean {
  let ok = true;
  for (const [name, singleLine] of fields) {
    if (raw[name] === undefined) continue;
    const value = text(raw[name], ctx.at(name), name, singleLine);
    if (value === undefined) ok = false;
    else into[name] = value;
  }
  return ok;
}

function noArgument(kind: 'markRead' | 'delete', raw: unknown, ctx: ParseContext): RuleAction | undefined {
  if (raw === true || raw === null || (isPlainObject(raw) && Object.keys(raw).length === 0)) return { kind };
  ctx.fail(`takes no value (write "- ${kind}"), got ${show(raw)}`);
  return undefined;
}

/** One parser per action kind: keyed by the journal's ActionKind, so a new kind cannot be forgotten here. */
const PARSERS: Record<ActionKind, (raw: unknown, ctx: ParseContext) => RuleAction | undefined> = {
  reply(raw, ctx) {
    if (typeof raw === 'string') {
      return text(raw, ctx, 'reply text', false) === undefined ? undefined : { kind: 'reply', text: raw };
    }
    if (!isPlainObject(raw)) {
      ctx.fail(`must be { text, html?, subject? } or the reply text, got ${show(raw)}`);
      return undefined;
    }
    if (!onlyKeys(raw, ['text', 'html', 'subject'], ctx)) return undefined;
    const action: Record<string, unknown> = { kind: 'reply' };
    const ok = optionalTexts(
      raw,
      ctx,
      [
        ['text', false],
        ['html', false],
        ['subject', true],
      ],
      action,
    );
    if (ok && action.text === undefined && action.html === undefined) {
      ctx.fail('needs text or html');
      return undefined;
    }
    return ok ? (action as RuleAction) : undefined;
  },
  forward(raw, ctx) {
    if (typeof raw === 'string' || Array.isArray(raw)) {
      const to = addresses(raw, ctx);
      return to && { kind: 'forward', to };
    }
    if (!isPlainObject(raw)) {
      ctx.fail(`must be { to, cc?, text?, subject? } or the address to forward to, got ${show(raw)}`);
      return undefined;
    }
    if (!onlyKeys(raw, ['to', 'cc', 'text', 'subject'], ctx)) return undefined;
    const to = addresses(raw.to, ctx.at('to'));
    const cc = raw.cc === undefined ? undefined : addresses(raw.cc, ctx.at('cc'));
    const action: Record<string, unknown> = { kind: 'forward', to };
    if (cc) action.cc = cc;
    const ok = optionalTexts(
      raw,
      ctx,
      [
        ['text', false],
        ['subject', true],
      ],
      action,
    );
    return ok && to && (raw.cc === undefined || cc) ? (action as RuleAction) : undefined;
  },
  send(raw, ctx) {
    if (!isPlainObject(raw)) {
      ctx.fail(`must be { to, subject, text | html, cc? }, got ${show(raw)}`);
      return undefined;
    }
    if (!onlyKeys(raw, ['to', 'cc', 'subject', 'text', 'html'], ctx)) return undefined;
    const to = addresses(raw.to, ctx.at('to'));
    const cc = raw.cc === undefined ? undefined : addresses(raw.cc, ctx.at('cc'));
    const subject = text(raw.subject, ctx.at('subject'), 'subject', true);
    const action: Record<string, unknown> = { kind: 'send', to, subject };
    if (cc) action.cc = cc;
    const ok = optionalTexts(
      raw,
      ctx,
      [
        ['text', false],
        ['html', false],
      ],
      action,
    );
    if (ok && action.text === undefined && action.html === undefined) {
      ctx.fail('needs text or html');
      return undefined;
    }
    return ok && to && subject && (raw.cc === undefined || cc) ? (action as RuleAction) : undefined;
  },
  moveTo(raw, ctx) {
    const folder = text(raw, ctx, 'the folder to move to, e.g. moveTo: Processed', true);
    return folder === undefined ? undefined : { kind: 'moveTo', folder };
  },
  markRead: (raw, ctx) => noArgument('markRead', raw, ctx),
  flag(raw, ctx) {
    if (typeof raw !== 'string' || !FLAG.test(raw) || hasControlCharacter(raw)) {
      ctx.fail(`must be a flag like "\\\\Flagged" or a keyword like Processed, got ${show(raw)}`);
      return undefined;
    }
    return { kind: 'flag', flag: raw };
  },
  delete: (raw, ctx) => noArgument('delete', raw, ctx),
};

const NEEDS_VALUE = new Set(['reply', 'forward', 'send', 'moveTo', 'flag']);

/**
 * The parsed action list and whether it contained `stop`.
 *
 * @example
 * ```ts
 * const parsed: ParsedActions = { actions: [{ kind: 'markRead' }], stop: true };
 * ```
 */
export interface ParsedActions {
  readonly actions: readonly RuleAction[];
  readonly stop: boolean;
}

/**
 * Parses an `actions:` list. Returns `undefined` after recording issues. Checks the order too: `moveTo` and
 * `delete` take the message out of the folder, so at most one of them, and only as the last action.
 *
 * @example
 * ```ts
 * parseActions(['markRead', { moveTo: 'Processed' }], ctx.at('actions'));
 * // { actions: [{ kind: 'markRead' }, { kind: 'moveTo', folder: 'Processed' }], stop: false }
 * ```
 */
export function parseActions(raw: unknown, ctx: ParseContext): ParsedActions | undefined {
  if (!Array.isArray(raw)) {
    ctx.fail(`must be a list of actions (${Object.keys(PARSERS).join(', ')}, stop), got ${show(raw)}`);
    return undefined;
  }
  const actions: RuleAction[] = [];
  let stop = false;
  let ok = true;
  raw.forEach((item, i) => {
    const at = ctx.at(i);
    let kind: string;
    let value: unknown;
    if (typeof item === 'string') {
      kind = item;
      value = null;
      if (NEEDS_VALUE.has(kind)) {
        at.fail(`${kind} needs a value (e.g. "${kind}: …")`);
        ok = false;
        return;
      }
    } else if (isPlainObject(item) && Object.keys(item).length === 1) {
      kind = Object.keys(item)[0]!;
      value = item[kind];
    } else {
      at.fail(`must be an action name or a single-key mapping like { moveTo: Processed }, got ${show(item)}`);
      ok = false;
      return;
    }
    if (kind === 'stop') {
      if (value !== null && value !== true) {
        at.fail(`stop takes no value, got ${show(value)}`);
        ok = false;
      }
      stop = true;
      return;
    }
    const parser = Object.hasOwn(PARSERS, kind) ? PARSERS[kind as ActionKind] : undefined;
    if (parser === undefined) {
      at.fail(`unknown action ${show(kind)} (expected ${Object.keys(PARSERS).join(', ')}, stop)`);
      ok = false;
      return;
    }
    const action = parser(value, typeof item === 'string' ? at : at.at(kind));
    if (action) actions.push(action);
    else ok = false;
  });
  if (!ok) return undefined;
  const removing = actions.findIndex((a) => a.kind === 'moveTo' || a.kind === 'delete');
  if (removing !== -1 && removing !== actions.length - 1) {
    ctx.fail(
      `${actions[removing]!.kind} must be the last action: after it the message is no longer in the folder ` +
        `(found ${actions[removing + 1]!.kind} after it)`,
    );
    return undefined;
  }
  return { actions, stop };
}
