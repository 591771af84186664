/**
 * The first start of a mailbox with an empty journal says what its first pass will do (issue 15 point 3): the
 * counts of runtime/autopilot/first-pass.ts, logged and journaled (`mailbox.firstPass`) before the mailbox starts.
 *
 * @module
 */
import type { MailboxConfig } from '../config/load.js';
import { RuleMatcher } from '../rules/matcher.js';
import { compileSearchFilter } from '../rules/search-pushdown.js';
import { createMailService } from '../services.js';
import { firstPassLine, previewFirstPass, sendJudge } from './first-pass.js';
import { mailboxAddresses } from './mailbox-addresses.js';
import type { WiringContext } from './mailbox-wiring.js';

/**
 * For each mailbox (password login) the journal has no event of: counts its first pass and logs and journals the counts. A mailbox
 * that cannot be counted (the server is down) is logged and starts anyway: its own reconnect handles the outage.
 *
 * @example
 * ```ts
 * await announceFirstPasses(config.mailboxes, shared);
 * ```
 */
export async function announceFirstPasses(mailboxes: readonly MailboxConfig[], ctx: WiringContext): Promise<void> {
  // OAuth2 mailboxes are not counted yet (as in `validate --connect`): the count's own connection would need its own
  // token round (a known gap, see docs/rules.md "Safe first runs").
  const fresh = mailboxes.filter((mailbox) => !mailbox.oauth2 && ctx.journal.mailboxes.get(mailbox.id) === undefined);
  await Promise.all(fresh.map((mailbox) => announce(mailbox, ctx)));
}

async function announce(mailbox: MailboxConfig, ctx: WiringContext): Promise<void> {
  const { logger, journal, now } = ctx;
  const factory = ctx.options.services ?? createMailService;
  const rules = ctx.rulesFor(mailbox);
  // Nothing is handled yet (the journal has no event of this mailbox); the lookup is the journal all the same. The
  // rules' SEARCH filter as in the real pass: messages no rule can match are counted by range, not fetched.
  const discoveryFilter = mailbox.service === 'imap' ? compileSearchFilter(rules) : undefined;
  // Read-only (IMAP EXAMINE, PEEK): counting changes nothing on the server.
  const service = factory(
    { ...mailbox, readOnly: true },
    { handled: journal, logger, oauth2: ctx.oauth2, discoveryFilter },
  );
  const matcher = new RuleMatcher(rules);
  try {
    const judge = sendJudge({ matcher, ownAddresses: mailboxAddresses(mailbox).ownAddresses, mailbox, now });
    const preview = await previewFirstPass(service, mailbox, judge, mailbox.connectTimeout);
    await journal.append([{ type: 'mailbox.firstPass', mailboxId: mailbox.id, at: now(), ...preview }]);
    logger.info({ mailboxId: mailbox.id, event: 'mailbox.firstPass', ...preview }, firstPassLine(mailbox.id, preview));
  } catch (error) {
    const info = error as { code?: string; message?: string };
    logger.warn(
      { mailboxId: mailbox.id, code: info.code ?? 'FIRST_PASS_NOT_COUNTED', error: info.message ?? String(error) },
      `mailbox ${mailbox.id}: could not count what the first pass will do`,
    );
  }
}
