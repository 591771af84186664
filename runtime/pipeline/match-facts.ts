/**
 * Fetches what `attachment` and `body` conditions test (issue 15 point 6), and only when the rules need it: a
 * message whose other conditions already decide every rule is never downloaded for matching.
 *
 * @module
 */
import type { DiscoveredMessage, Logger, MailSession } from '../../adapters/contract.js';
import { matchFactsOf } from '../../adapters/mail-format/index.js';
import type { RuleMatcher } from '../rules/matcher.js';
import { describeError } from './step-outcome.js';

/**
 * The message with its attachments and body text when the matcher needs them (fetched through the session's
 * `fetchBody`, whose memory bound is the mailbox's `maxBodyBytes`); the message itself when it does not. `undefined`
 * when the fetch failed: the message is left for the next pass (logged), never decided without its facts.
 *
 * @example
 * ```ts
 * const ready = await withMatchFacts(matcher, message, session, logger);
 * if (ready) matcher.match(ready);
 * ```
 */
export async function withMatchFacts(
  matcher: RuleMatcher<unknown>,
  message: DiscoveredMessage,
  session: MailSession,
  logger?: Logger,
): Promise<DiscoveredMessage | undefined> {
  if (!matcher.needsFacts(message)) return message;
  try {
    const facts = matchFactsOf(await session.fetchBody(message));
    // Attachments the server already described (BODYSTRUCTURE) stay; the body adds the text.
    return { ...message, attachments: message.attachments ?? facts.attachments, bodyText: facts.bodyText };
  } catch (error) {
    logger?.warn(
      { mailboxId: message.identity.mailboxId, key: message.identity.key, ...describeError(error, 'FETCH_FAILED') },
      'could not fetch the message body a rule condition needs; the message is tried again on the next pass',
    );
    return undefined;
  }
}
