/**
 * `mail-autopilot validate --config FILE [--service] [--connect]`: checks a configuration without connecting anything,
 * and says which environment variables and secret files `run` will need; with `--connect` also what each mailbox's
 * first pass would do (runtime/cli/validate-connect.ts).
 *
 * @module
 */
import { formatIssue } from '../config/errors.js';
import { inspectForCli, parseCommand } from './common.js';
import { EXIT_CODES } from './exit-codes.js';
import type { CliDeps, CliIo } from './types.js';

export const VALIDATE_HELP = `Usage: mail-autopilot validate --config FILE [--service] [--connect]

Checks a configuration file (YAML or JSON) without connecting: the syntax, the schema,
what each service accepts (MAPI needs Windows; a MAPI profile is required in service
mode; no unreadOnly or folder on POP3; server syntax per service) and every rule, all
in one report with line and column. Secrets are not needed: unset \${VAR}s and missing
passwordFiles are listed as what \`run\` will need, not as errors.

Options:
  -c, --config FILE   the configuration file
      --service       check it for service mode (SPEC S2)
      --connect       also connect to each mailbox read-only and say what its first pass
                      would do: how many existing messages it examines (after startAt) and
                      for how many the rules would send mail (secrets are needed then)
  -h, --help          show this help

Exit codes: 0 valid, 78 invalid (every problem is listed, naming the mailbox and the field), 64 usage,
69 with --connect when a mailbox could not be reached.
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
  const parsed = parseCommand<{ service?: boolean; connect?: boolean }>(args, io, VALIDATE_HELP, {
    service: { type: 'boolean' },
    connect: { type: 'boolean' },
  });
  if ('exit' in parsed) return parsed.exit;
  const connect = parsed.values.connect === true;
  const inspection = inspectForCli(parsed.values.config, io, deps, VALIDATE_HELP, {
    mode: parsed.values.service ? 'service' : 'app',
    // Connecting needs the passwords: without --connect they are only listed as what `run` will need.
    secrets: connect ? 'required' : 'optional',
  });
  if (typeof inspection === 'number') return inspection;
  const { config, variables, missingSecrets } = inspection;
  const rules = config.mailboxes.reduce((sum, mailbox) => sum + mailbox.rules.length, 0);
  io.stdout(
    `${config.file}: valid: ${config.mailboxes.length} mailbox(es) (${config.mailboxes.map((m) => `${m.id}: ${m.service}`).join(', ')}), ${rules} rule(s); journal ${config.journal}\n`,
  );
  const names = [...new Map(variables.map((v) => [v.variable, v.set])).entries()];
  if (names.length > 0) {
    const listed = names.map(([name, set]) => `${name}${set ? '' : ' (not set now)'}`).join(', ');
    io.stdout(`run needs these environment variables: ${listed}\n`);
  }
  for (const issue of missingSecrets)
    io.stdout(`run will fail unless this is fixed: ${formatIssue(issue, config.file)}\n`);
  if (!connect) return EXIT_CODES.OK;
  // The protocol libraries are loaded only when a connection is asked for: plain validate stays light.
  const { printFirstPasses } = await import('./validate-connect.js');
  return (await printFirstPasses(config.mailboxes, io, deps.services)) ? EXIT_CODES.OK : EXIT_CODES.CONNECT_FAILED;
}
