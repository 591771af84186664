/**
 * A message file (`.eml`, RFC 5322 bytes) as the rules see a discovered message: the same header-block parser,
 * envelope and Message-ID rules as every adapter, so `mail-autopilot test` tries rules on exactly the shape a real
 * mailbox gives them.
 *
 * @module
 */
import type { DiscoveredMessage } from '../contract.js';
import { envelopeOf } from './envelope.js';
import { parseHeaderBlock } from './header-block.js';

/**
 * Why a file is not a message: it has no header field at all (an empty file, a binary, a body without headers).
 *
 * @example
 * ```ts
 * try { messageFromSource(raw, 'support', 'file:a.eml'); } catch (e) { (e as MalformedMessageError).code; }
 * ```
 */
export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
  readonly code = 'MALFORMED_MESSAGE';
  readonly retryable = false;
  readonly mailboxId: string;

  constructor(mailboxId: string, message: string) {
    super(message);
    this.mailboxId = mailboxId;
  }
}

/**
 * The discovered-message shape of a message's bytes: headers and envelope from its header block, no flags, its
 * length as the size. `key` is the identity the caller gives it (a file has no UID).
 *
 * @example
 * ```ts
 * const message = messageFromSource(readFileSync('a.eml'), 'support', 'file:a.eml');
 * message.envelope.subject; // 'Newsletter confirmation'
 * ```
 */
export function messageFromSource(raw: Buffer, mailboxId: string, key: string): DiscoveredMessage {
  const headers = parseHeaderBlock(raw);
  if (headers.size === 0) throw new MalformedMessageError(mailboxId, 'no header fields: not an RFC 5322 message');
  const envelope = envelopeOf(raw, headers);
  return {
    identity: { mailboxId, key, messageId: envelope.messageId },
    ref: key,
    flags: [],
    size: raw.length,
    envelope,
    headers,
  };
}
