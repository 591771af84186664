/**
 * `mail-autopilot login --config FILE [--mailbox ID]… [--protocol imap|pop|smtp]…`: signs in to Exchange Online
 * (OAuth2, SPEC S3/S4) only for the protocols that have no usable token yet, and says for each what it did and why.
 * Device code by default: the command prints Microsoft's instruction (a page and a code) and waits; the person signs
 * in on any device. The tokens land in the installation's token cache, where `run` finds them.
 *
 * @module
 */
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { OAuth2BrokerOptions } from '../../adapters/oauth2/broker.js';
import type { OAuth2Config } from '../../adapters/oauth2/config.js';
// The broker (and with it msal-node) is loaded only once a sign-in is really asked for (issue 12 point 5).
import { loadOAuth2Broker } from '../../adapters/oauth2/load-broker.js';
import type { LoginMailbox, LoginResult } from '../../adapters/oauth2/login.js';
import { type OAuth2Protocol, parseProtocol, protocolLabel } from '../../adapters/oauth2/scopes.js';
import type { DeviceCodePrompt } from '../../adapters/oauth2/sign-in.js';
import { tokenCachePath } from '../../adapters/oauth2/token-cache.js';
import { parseDuration } from '../config/duration.js';
import { ConfigError } from '../config/errors.js';
import { EXIT_CODES } from './exit-codes.js';
import type { CliDeps, CliIo } from './types.js';

/**
 * The help text of `login`.
 *
 * @example
 * ```ts
 * io.stdout(LOGIN_HELP);
 * ```
 */
export const LOGIN_HELP = `Usage: mail-autopilot login --config FILE [--mailbox ID]... [--protocol P]...

Signs in to Exchange Online (OAuth2) for mailboxes of a configuration: only for
the protocols that have no usable token yet, and says which it skipped and why.
The person signs in once per protocol; other mailboxes of the same account and
later runs use the shared token cache silently. See docs/exchange-online.md.

Options:
  -c, --config FILE     the configuration file (required)
  -m, --mailbox ID      a mailbox to sign in for (repeatable); default: every
                        mailbox with an oauth2 block
  -p, --protocol P      imap, pop or smtp (repeatable); default: the protocols
                        the mailbox uses (imap or pop, and smtp if it sends)
      --timeout DURATION  how long to wait for the sign-in (default: until the
                        code expires, about 15 minutes)
  -h, --help            show this help

Exit codes: 0 every protocol signed in or skipped, 1 a sign-in failed,
64 wrong arguments, 78 invalid configuration.
`;

/**
 * The parts of a loaded configuration `login` reads: the mailboxes with their `oauth2` blocks, and the token cache.
 *
 * @example
 * ```ts
 * const view: LoginConfigView = { baseDir: '/etc/mail-autopilot', mailboxes: [{ id: 'support', service: 'imap',
 *   user: 'support@contoso.com', oauth2: { tenant: 'contoso.com', clientId } }] };
 * ```
 */
export interface LoginConfigView {
  readonly baseDir: string;
  /** Installation-wide token cache file; default `autopilot.tokens.json` next to the configuration file. */
  readonly tokenCache?: string;
  readonly mailboxes: readonly {
    readonly id: string;
    readonly service: string;
    readonly user?: string;
    readonly oauth2?: OAuth2Config;
    readonly smtp?: { readonly user?: string; readonly password?: string; readonly passwordFile?: string };
  }[];
}

/**
 * What `login` needs besides the CLI's common dependencies (which route msal to a local identity provider in tests):
 * tests may read configurations the schema of this version does not know yet.
 *
 * @example
 * ```ts
 * const deps: LoginCommandDeps = { oauth2: { networkClient } };
 * ```
 */
export interface LoginCommandDeps extends CliDeps {
  readonly loadConfig?: (file: string) => LoginConfigView;
}

/**
 * The sign-in targets of one mailbox: its reading protocol and, when its SMTP sends with OAuth2 (an `smtp` block
 * without a password), `smtp` — one target when both use the same account, so one sign-in covers both.
 *
 * @example
 * ```ts
 * loginTargets({ id: 'a', service: 'imap', user: 'a@contoso.com', oauth2, smtp: {} });
 * // [{ id: 'a', user: 'a@contoso.com', oauth2, protocols: ['imap', 'smtp'] }]
 * ```
 */
export function loginTargets(mailbox: LoginConfigView['mailboxes'][number]): LoginMailbox[] {
  const oauth2 = mailbox.oauth2;
  if (oauth2 === undefined) return [];
  const user = mailbox.user ?? '';
  const reading: OAuth2Protocol[] = mailbox.service === 'imap' ? ['imap'] : mailbox.service === 'pop3' ? ['pop'] : [];
  const smtp = mailbox.smtp;
  const sends = smtp !== undefined && smtp.password === undefined && smtp.passwordFile === undefined;
  const smtpUser = smtp?.user ?? user;
  if (!sends) return [{ id: mailbox.id, user, oauth2, protocols: reading }];
  if (smtpUser.toLowerCase() === user.toLowerCase()) {
    return [{ id: mailbox.id, user, oauth2, protocols: [...reading, 'smtp'] }];
  }
  return [
    { id: mailbox.id, user, oauth2, protocols: reading },
    { id: mailbox.id, user: smtpUser, oauth2, protocols: ['smtp'] },
  ];
}

function describeResult(result: LoginResult): string {
  const label = protocolLabel(result.protocol);
  if (result.outcome === 'failed') return `${result.reason}\n`;
  const what = result.outcome === 'skipped' ? 'skipped' : 'signed in';
  return `mailbox ${result.mailboxId}: ${label} ${what}: ${result.reason}\n`;
}

function describePrompt(prompt: DeviceCodePrompt): string {
  const protocols = prompt.protocols.map(protocolLabel).join(' and ');
  return `mailbox ${prompt.mailboxId}: sign in as ${prompt.user} for ${protocols}.\n${prompt.message}\n`;
}

async function defaultLoader(deps: CliDeps): Promise<(file: string) => LoginConfigView> {
  const { loadConfig } = await import('../config/load.js');
  return (file) => {
    const config = loadConfig(file, { env: deps.env ?? process.env }) as unknown as LoginConfigView & {
      file?: string;
    };
    return { ...config, baseDir: config.baseDir ?? dirname(file) };
  };
}

/**
 * Runs the `login` command and resolves to its exit code.
 *
 * @example
 * ```ts
 * const code = await runLoginCommand(['--config', 'autopilot.yaml', '--mailbox', 'support', '--protocol', 'smtp'], io, {});
 * ```
 */
export async function runLoginCommand(
  args: readonly string[],
  io: CliIo,
  deps: LoginCommandDeps = {},
): Promise<number> {
  let values: { config?: string; mailbox?: string[]; protocol?: string[]; timeout?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        config: { type: 'string', short: 'c' },
        mailbox: { type: 'string', short: 'm', multiple: true },
        protocol: { type: 'string', short: 'p', multiple: true },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`mail-autopilot login: ${(error as Error).message}\n\n${LOGIN_HELP}`);
    return EXIT_CODES.USAGE;
  }
  if (values.help) {
    io.stdout(LOGIN_HELP);
    return EXIT_CODES.OK;
  }
  if (!values.config) {
    io.stderr(`mail-autopilot login: --config FILE is required\n\n${LOGIN_HELP}`);
    return EXIT_CODES.USAGE;
  }
  const protocols: OAuth2Protocol[] = [];
  for (const name of values.protocol ?? []) {
    const protocol = parseProtocol(name);
    if (protocol === undefined) {
      io.stderr(`mail-autopilot login: --protocol must be imap, pop or smtp, got ${JSON.stringify(name)}\n`);
      return EXIT_CODES.USAGE;
    }
    if (!protocols.includes(protocol)) protocols.push(protocol);
  }
  let timeoutSeconds: number | undefined;
  if (values.timeout !== undefined) {
    const ms = parseDuration(values.timeout);
    if (ms === undefined || ms <= 0) {
      io.stderr(
        `mail-autopilot login: --timeout expects a duration such as 5m, got ${JSON.stringify(values.timeout)}\n`,
      );
      return EXIT_CODES.USAGE;
    }
    timeoutSeconds = Math.ceil(ms / 1000);
  }

  let config: LoginConfigView;
  try {
    config = (deps.loadConfig ?? (await defaultLoader(deps)))(values.config);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return EXIT_CODES.CONFIG;
    }
    throw error;
  }

  const ids = values.mailbox ?? [];
  const unknown = ids.filter((id) => !config.mailboxes.some((m) => m.id === id));
  if (unknown.length > 0) {
    io.stderr(
      `mail-autopilot login: no mailbox ${unknown.join(', ')} in ${values.config} (it has ${config.mailboxes.map((m) => m.id).join(', ')})\n`,
    );
    return EXIT_CODES.USAGE;
  }
  const chosen =
    ids.length > 0 ? config.mailboxes.filter((m) => ids.includes(m.id)) : config.mailboxes.filter((m) => m.oauth2);
  const withoutOAuth2 = chosen.filter((m) => m.oauth2 === undefined);
  if (withoutOAuth2.length > 0) {
    io.stderr(
      `mail-autopilot login: mailbox ${withoutOAuth2.map((m) => m.id).join(', ')} does not use OAuth2 (no oauth2 block); nothing to sign in\n`,
    );
    return EXIT_CODES.USAGE;
  }
  if (chosen.length === 0) {
    io.stderr(`mail-autopilot login: no mailbox of ${values.config} uses OAuth2 (none has an oauth2 block)\n`);
    return EXIT_CODES.CONFIG;
  }

  const broker = await loadOAuth2Broker({
    configFile: values.config,
    ...deps.oauth2,
    tokenCache: tokenCachePath(config.baseDir, config.tokenCache),
  });
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  deps.signals?.on('SIGINT', onSignal);
  deps.signals?.on('SIGTERM', onSignal);
  try {
    const results = await broker.login({
      mailboxes: chosen.flatMap(loginTargets),
      ...(protocols.length > 0 ? { protocols } : {}),
      onDeviceCode: (prompt) => io.stdout(describePrompt(prompt)),
      signal: abort.signal,
      ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    });
    for (const result of results) (result.outcome === 'failed' ? io.stderr : io.stdout)(describeResult(result));
    for (const mailbox of chosen) {
      const uses = new Set(loginTargets(mailbox).flatMap((target) => target.protocols ?? []));
      for (const protocol of protocols.filter((p) => !uses.has(p))) {
        io.stdout(
          `mailbox ${mailbox.id}: ${protocolLabel(protocol)} skipped: the mailbox does not use it with OAuth2\n`,
        );
      }
    }
    return results.some((result) => result.outcome === 'failed') ? EXIT_CODES.FAILURE : EXIT_CODES.OK;
  } finally {
    deps.signals?.off('SIGINT', onSignal);
    deps.signals?.off('SIGTERM', onSignal);
  }
}
