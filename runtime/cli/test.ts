/**
 * `mail-autopilot test --config FILE [--mailbox ID] [--json] MESSAGE.eml...` (issue 15 point 1): tries a mailbox's
 * rules on message files. It connects nowhere, journals nothing, sends nothing and runs no handler: the files are
 * parsed by the adapters' one mail-format module, the rules by the pipeline's matcher, and the mail actions asked
 * of loop protection as the pipeline asks it (runtime/rules/explain.ts).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { matchFactsOf, messageFromSource, parseBody } from '../../adapters/mail-format/index.js';
import { mailboxAddresses } from '../autopilot/mailbox-addresses.js';
import type { MailboxConfig } from '../config/load.js';
import { explainMessage, type MessageTrace } from '../rules/explain.js';
import { RuleMatcher } from '../rules/matcher.js';
import { parseRules } from '../rules/parse-rules.js';
import { loadForCli, parseCommand } from './common.js';
import { EXIT_CODES } from './exit-codes.js';
import { printTrace } from './trace-output.js';
import type { CliDeps, CliIo } from './types.js';

/**
 * The `test --help` text.
 *
 * @example
 * ```ts
 * io.stdout(TEST_HELP);
 * ```
 */
export const TEST_HELP = `Usage: mail-autopilot test --config FILE [--mailbox ID] [--json] MESSAGE.eml...

Tries a mailbox's rules on message files (RFC 5322, as saved by a mail program)
without connecting anywhere, journaling, sending anything or running a handler.
For each file and each rule in order: matched, or the condition that failed and
the value it saw; rules not tried because an earlier matching rule stops; for a
matched rule its handler's argv and each action with its recipients and loop
protection's verdict (would send, or skipped with its code).

Options:
  -c, --config FILE   the configuration file (required)
      --mailbox ID    the mailbox whose rules to try (required when the
                      configuration has several)
      --json          print one JSON document: {"messages":[...]}
  -h, --help          show this help

Exit codes: 0 every file was tried, 65 a file could not be read or is not a
message (the others are still tried and reported), 64 usage (no file, unknown
option, --mailbox missing or unknown), 78 invalid configuration.
`;

function chooseMailbox(mailboxes: readonly MailboxConfig[], id: string | undefined, io: CliIo): MailboxConfig | number {
  if (id === undefined) {
    if (mailboxes.length === 1) return mailboxes[0]!;
    io.stderr(
      `mail-autopilot test: the configuration has ${mailboxes.length} mailboxes (${mailboxes.map((m) => m.id).join(', ')}): choose one with --mailbox ID\n`,
    );
    return EXIT_CODES.USAGE;
  }
  const mailbox = mailboxes.find((m) => m.id === id);
  if (mailbox) return mailbox;
  io.stderr(
    `mail-autopilot test: no mailbox ${JSON.stringify(id)} in the configuration (it has: ${mailboxes.map((m) => m.id).join(', ')})\n`,
  );
  return EXIT_CODES.USAGE;
}

/**
 * Runs `test` and resolves to its exit code.
 *
 * @example
 * ```ts
 * const code = await runTestCommand(['--config', 'autopilot.yaml', '--json', 'a.eml'], io, {});
 * ```
 */
export async function runTestCommand(args: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  const parsed = parseCommand<{ mailbox?: string; json?: boolean }>(
    args,
    io,
    TEST_HELP,
    { mailbox: { type: 'string' }, json: { type: 'boolean' } },
    true,
  );
  if ('exit' in parsed) return parsed.exit;
  const files = parsed.positionals;
  if (!parsed.values.config) {
    io.stderr(`mail-autopilot test: --config FILE is required\n\n${TEST_HELP}`);
    return EXIT_CODES.USAGE;
  }
  if (files.length === 0) {
    io.stderr(`mail-autopilot test: name at least one message file\n\n${TEST_HELP}`);
    return EXIT_CODES.USAGE;
  }
  // Nothing connects, so the secrets (passwords, ${VAR}s) are not needed.
  const config = loadForCli(parsed.values.config, io, deps, TEST_HELP, { secrets: 'optional' });
  if (typeof config === 'number') return config;
  const chosen = chooseMailbox(config.mailboxes, parsed.values.mailbox, io);
  if (typeof chosen === 'number') return chosen;
  const mailbox = chosen;
  let matcher: RuleMatcher;
  try {
    matcher = new RuleMatcher(parseRules(mailbox.rules, mailbox.id));
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    return EXIT_CODES.CONFIG;
  }
  const context = { ownAddresses: mailboxAddresses(mailbox).ownAddresses, now: Date.now() };
  const traces: MessageTrace[] = [];
  for (const file of files) traces.push(await traceFile(file));
  async function traceFile(file: string): Promise<MessageTrace> {
    try {
      const raw = readFileSync(file);
      const headersOnly = messageFromSource(raw, mailbox.id, `file:${file}`);
      // Body and attachment conditions see the file's own parts, parsed as a mailbox's fetched body would be.
      const message = matcher.needsFacts(headersOnly)
        ? { ...headersOnly, ...matchFactsOf(await parseBody(raw, mailbox.maxBodyBytes)) }
        : headersOnly;
      const rules = explainMessage(matcher, message, context);
      return { file, mailbox: mailbox.id, subject: message.envelope.subject, rules };
    } catch (error) {
      const info = error as { code?: string; message?: string };
      const code = typeof info.code === 'string' ? info.code : 'UNREADABLE';
      return {
        file,
        mailbox: mailbox.id,
        error: { code, message: `${file}: ${info.message ?? String(error)}` },
        rules: [],
      };
    }
  }
  printTrace(io, traces, { json: parsed.values.json === true });
  for (const trace of traces) if (trace.error) io.stderr(`mail-autopilot test: ${trace.error.message}\n`);
  return traces.some((trace) => trace.error) ? EXIT_CODES.DATA_ERROR : EXIT_CODES.OK;
}
