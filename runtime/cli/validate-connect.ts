/**
 * `validate --connect` (issue 15 point 3): after the offline checks, connects to each mailbox read-only and says
 * what its first pass would do on an empty journal — how many existing messages it examines under `startAt`, and
 * for how many the rules would send mail. The journal is not opened (a running service may hold it), so the counts
 * are those of a first start; a mailbox that already ran handles only what it has not handled yet.
 *
 * @module
 */

import { firstPassLine, previewFirstPass, sendJudge } from '../autopilot/first-pass.js';
import { mailboxAddresses } from '../autopilot/mailbox-addresses.js';
import type { MailboxConfig } from '../config/load.js';
import { RuleMatcher } from '../rules/matcher.js';
import { parseRules } from '../rules/parse-rules.js';
import { compileSearchFilter } from '../rules/search-pushdown.js';
import { createMailService, type ServiceFactory } from '../services.js';
import type { CliIo } from './types.js';

/**
 * Counts every mailbox's first pass and prints one line each; resolves with whether every mailbox could be counted.
 *
 * @example
 * ```ts
 * const allCounted = await printFirstPasses(config.mailboxes, io, deps.services);
 * ```
 */
export async function printFirstPasses(
  mailboxes: readonly MailboxConfig[],
  io: CliIo,
  services: ServiceFactory | undefined,
): Promise<boolean> {
  const factory = services ?? createMailService;
  const results = await Promise.all(
    mailboxes.map(async (mailbox) => {
      if (mailbox.oauth2) return `mailbox ${mailbox.id}: not counted (OAuth2: the first start logs the count)\n`;
      try {
        const rules = parseRules(mailbox.rules, mailbox.id);
        // The rules' SEARCH filter as in the real pass: messages no rule can match are counted by range, not fetched.
        const discoveryFilter = mailbox.service === 'imap' ? compileSearchFilter(rules) : undefined;
        // Read-only (IMAP EXAMINE, PEEK): counting changes nothing on the server.
        const service = factory(
          { ...mailbox, readOnly: true },
          { handled: { isHandled: () => false }, discoveryFilter },
        );
        const matcher = new RuleMatcher(rules);
        const judge = sendJudge({
          matcher,
          ownAddresses: mailboxAddresses(mailbox).ownAddresses,
          mailbox,
          now: Date.now,
        });
        return `${firstPassLine(mailbox.id, await previewFirstPass(service, mailbox, judge, mailbox.connectTimeout))}\n`;
      } catch (error) {
        const info = error as { code?: string; message?: string };
        return new Error(
          `mailbox ${mailbox.id}: could not connect to count the first pass: ${info.code ?? 'CONNECT_FAILED'} ${info.message ?? String(error)}\n`,
        );
      }
    }),
  );
  for (const result of results) {
    if (result instanceof Error) io.stderr(result.message);
    else io.stdout(result);
  }
  return results.every((result) => !(result instanceof Error));
}
