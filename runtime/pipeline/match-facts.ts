/**
 * Fetches what `attachment` and `body` conditions test (issue 15 point 6), and only when the rules need it: a
 * message whose other conditions already decide every rule is never downloaded for matching.
 *
 * @module
 */
import type { DiscoveredMessage, Logger, MailSession, MessageBody } from '../../adapters/contract.js';
import { matchFactsOf } from '../../adapters/mail-format/index.js';
import type { RuleMatcher } from '../rules/matcher.js';
import { describeError } from './step-outcome.js';

/**
 * The message with its attachments and body text when the matcher needs them: the text part alone by the session's
 * `fetchText` where it has one (IMAP: a partial fetch of `bodyMatchBytes`), else (no text/plain part, or the
 * attachments still unknown) the whole body through `fetchBody` (held within the mailbox's `maxBodyBytes`, the text
 * cut to `bodyMatchBytes`); the message itself when it needs none. A whole body fetched on the way is returned too, so
 * the message's steps (a host handler's `body()`) do not download it again. `undefined` when the fetch failed: the
 * message is left for the next pass (logged), never decided without its facts.
 *
 * @example
 * ```ts
 * const ready = await withMatchFacts(matcher, message, session, mailbox.bodyMatchBytes, logger);
 * if (ready) matcher.match(ready.message);
 * ```
 */
export async function withMatchFacts(
  matcher: RuleMatcher<unknown>,
  message: DiscoveredMessage,
  session: MailSession,
  bodyMatchBytes: number,
  logger?: Logger,
): Promise<{ readonly message: DiscoveredMessage; readonly body?: MessageBody } | undefined> {
  if (!matcher.needsFacts(message)) return { message };
  try {
    // The text part alone, partially, where the session can (IMAP) and the text is all that is missing.
    const text = session.fetchText ? await session.fetchText(message, bodyMatchBytes) : undefined;
    if (text !== undefined) {
      const withText = { ...message, bodyText: text };
      if (!matcher.needsFacts(withText)) return { message: withText };
    }
    const body = await session.fetchBody(message);
    const facts = matchFactsOf(body, bodyMatchBytes);
    // Attachments the server already described (BODYSTRUCTURE) stay; the body adds the text.
    return {
      message: { ...message, attachments: message.attachments ?? facts.attachments, bodyText: facts.bodyText },
      body,
    };
  } catch (error) {
    logger?.warn(
      { mailboxId: message.identity.mailboxId, key: message.identity.key, ...describeError(error, 'FETCH_FAILED') },
      'could not fetch the message body a rule condition needs; the message is tried again on the next pass',
    );
    return undefined;
  }
}
