/**
 * `mail-autopilot validate --config FILE [--service]`: checks a configuration without connecting anything.
 *
 * @module
 */
import { RuleConfigError } from '../rules/config-issues.js';
import { parseRules } from '../rules/parse-rules.js';
import { assertMailboxRulesSupported } from '../service-capabilities.js';
import { loadForCli, parseCommand } from './common.js';
import { EXIT_CODES } from './exit-codes.js';
import type { CliDeps, CliIo } from './types.js';

export const VALIDATE_HELP = `Usage: mail-autopilot validate --config FILE [--service]

Checks a configuration file (YAML or JSON) without connecting: the schema, \${ENV}
references, secrets files, the spec's rules (MAPI needs Windows; a MAPI profile is
required in service mode; no unreadOnly on POP3) and every rule.

Options:
  -c, --config FILE   the configuration file
      --service       check it for service mode (SPEC S2)
  -h, --help          show this help

Exit codes: 0 valid, 78 invalid (every problem is listed, naming the mailbox and the field), 64 usage.
`;

/**
 * Runs `validate`.
 *
 * @example
 * ```ts
 * const code = await runValidateCommand(['--config', 'autopilot.yaml'], io, {});
 * ```
 */
export async function runValidateCommand(args: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  const parsed = parseCommand<{ service?: boolean }>(args, io, VALIDATE_HELP, { service: { type: 'boolean' } });
  if ('exit' in parsed) return parsed.exit;
  const config = await loadForCli(parsed.values.config, io, deps, VALIDATE_HELP, parsed.values.service ? 'service' : 'app');
  if (typeof config === 'number') return config;
  const problems: string[] = [];
  let rules = 0;
  for (const mailbox of config.mailboxes) {
    try {
      const parsed = parseRules(mailbox.rules, mailbox.id);
      assertMailboxRulesSupported(mailbox, parsed);
      rules += parsed.length;
    } catch (error) {
      if (error instanceof RuleConfigError) problems.push(error.message);
      else throw error;
    }
  }
  if (problems.length > 0) {
    io.stderr(`${config.file}: invalid rules:\n${problems.join('\n')}\n`);
    return EXIT_CODES.CONFIG;
  }
  io.stdout(
    `${config.file}: valid: ${config.mailboxes.length} mailbox(es) (${config.mailboxes.map((m) => `${m.id}: ${m.service}`).join(', ')}), ${rules} rule(s); journal ${config.journal}\n`,
  );
  return EXIT_CODES.OK;
}
