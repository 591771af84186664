/**
 * The demo's closing text: where the journal, the log, the handlers' files and the status page are, and (with
 * `--keep`) how to reach the servers that stay up. Text only; the demo prints it.
 *
 * @module
 */
import { join } from 'node:path';

/**
 * What the guide points at.
 *
 * @example
 * ```ts
 * const places: DemoPlaces = { dir, configFile, journal, logFile, statusPage: 'http://127.0.0.1:8025/',
 *   password: 'secret-support', events: 33, messageEvents: 31 };
 * ```
 */
export interface DemoPlaces {
  /** The working directory (kept). */
  readonly dir: string;
  readonly configFile: string;
  readonly journal: string;
  readonly logFile: string;
  /** The status page's URL, when the config enables it. */
  readonly statusPage?: string;
  /** The watched mailbox's password (the config reads it from SUPPORT_PASSWORD). */
  readonly password: string;
  /** Events in the journal, and how many of them are about messages. */
  readonly events: number;
  readonly messageEvents: number;
}

/**
 * The "Where to look" section.
 *
 * @example
 * ```ts
 * for (const line of whereToLook(places)) console.log(line);
 * ```
 */
export function whereToLook(places: DemoPlaces): string[] {
  const lines = [
    '5. Where to look',
    `   journal      ${places.journal}`,
    `                ${places.events} events, ${places.messageEvents} of them about the mails: the "journal:" lines above`,
    '                come from them. The `events` command lists them (--message, --mailbox, --json; see --help):',
    `                  SUPPORT_PASSWORD=${places.password} npx tsx runtime/cli/bin.ts events --config ${places.configFile}`,
    '                (installed from npm, the command is `mail-autopilot events --config …`)',
    `   log          ${places.logFile} (the autopilot's JSON log lines)`,
    `   handlers     ${join(places.dir, 'bounces.log')}, ${join(places.dir, 'tickets')}/`,
    `   config       ${places.configFile}`,
  ];
  if (places.statusPage) {
    lines.push(
      `   status page  ${places.statusPage} (also /healthz and /metrics), while the autopilot runs:`,
      '                `npm run demo -- --keep` keeps it running until Ctrl-C',
    );
  }
  return lines;
}

/**
 * The `--keep` text: how to reach the servers and the page that stay up.
 *
 * @example
 * ```ts
 * keepRunningHelp({ imapsPort: 1993, smtpPort: 1587, caFile, watched: { user: 'support@example.test', password: 's' },
 *   sender: { user: 'ada@example.test', password: 'a' } });
 * ```
 */
export function keepRunningHelp(options: {
  readonly imapsPort: number;
  readonly smtpPort: number;
  readonly caFile: string;
  readonly watched: { readonly user: string; readonly password: string };
  readonly sender: { readonly user: string; readonly password: string };
  readonly statusPage?: string;
}): string[] {
  const { watched, sender } = options;
  return [
    'Still running (--keep). Look around with a mail client or openssl:',
    `   IMAPS  127.0.0.1:${options.imapsPort}  ${watched.user} / ${watched.password}  (CA file ${options.caFile})`,
    `   SMTP   127.0.0.1:${options.smtpPort} (STARTTLS)  send as ${sender.user} / ${sender.password} to ${watched.user}`,
    ...(options.statusPage ? [`   status page  ${options.statusPage}`] : []),
    '   Mail you send to support is handled by the same rules. Press Ctrl-C to stop.',
  ];
}
