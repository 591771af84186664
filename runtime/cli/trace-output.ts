/**
 * How `test` and `run --once --dry-run` print a rule trace (issue 15): one JSON document (`--json`), or a readable
 * block per message. Both commands print through here, so their traces read the same.
 *
 * @module
 */
import type { ActionTrace, MessageTrace, RuleTrace } from '../rules/explain.js';
import type { CliIo } from './types.js';

function actionLine(action: ActionTrace): string {
  const target =
    action.to !== undefined
      ? ` to ${action.to.length > 0 ? action.to.join(', ') : '(nobody)'}`
      : action.folder !== undefined
        ? ` ${action.folder}`
        : action.flag !== undefined
          ? ` ${action.flag}`
          : '';
  const verdict = action.skipped
    ? `: skipped ${action.skipped} (${action.reason ?? ''})`
    : action.to
      ? ': would send'
      : '';
  return `      ${action.kind}${target}${verdict}\n`;
}

function ruleLines(step: RuleTrace): string {
  if (!step.tried) return `  ${step.rule}: not tried (an earlier matching rule has stop: true)\n`;
  if (!step.matched) return `  ${step.rule}: no match: ${step.reason}\n`;
  const handler = step.handler ? `    handler: ${step.handler.join(' ')}\n` : '';
  const actions = step.actions.length > 0 ? `    actions:\n${step.actions.map(actionLine).join('')}` : '';
  return `  ${step.rule}: MATCHED\n${handler}${actions}`;
}

/**
 * The readable trace of one message.
 *
 * @example
 * ```ts
 * io.stdout(formatMessageTrace({ file: 'a.eml', mailbox: 'support', rules }));
 * // a.eml (mailbox support)
 * //   optin: MATCHED
 * // …
 * ```
 */
export function formatMessageTrace(trace: MessageTrace): string {
  const name = trace.file ?? trace.key ?? '(message)';
  const subject = trace.subject === undefined ? '' : ` ${JSON.stringify(trace.subject)}`;
  const head = `${name}${subject} (mailbox ${trace.mailbox})\n`;
  if (trace.error) return `${head}  error: ${trace.error.code}: ${trace.error.message}\n`;
  const matched = trace.rules.some((step) => step.tried && step.matched);
  const rules = trace.rules.map(ruleLines).join('');
  return `${head}${rules}${matched ? '' : '  => no rule matches: the message would be recorded as unmatched\n'}`;
}

/**
 * Prints a whole trace: `{"messages":[…]}` with `json`, else each message's block, blank-line separated.
 *
 * @example
 * ```ts
 * printTrace(io, traces, { json: true });
 * ```
 */
export function printTrace(io: CliIo, messages: readonly MessageTrace[], options: { json: boolean }): void {
  if (options.json) io.stdout(`${JSON.stringify({ messages }, null, 2)}\n`);
  else io.stdout(messages.map(formatMessageTrace).join('\n'));
}
