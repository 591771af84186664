/**
 * A message's identity and the question every discovery asks of the journal — "does it need more work?" — as the
 * message core owns them (issue 14: the vocabulary sits with the core that decides; adapters and the journal speak
 * it).
 *
 * @module
 */

/**
 * A message's identity. `key` is the service-specific key that is unique within the mailbox for as long as the
 * message exists (IMAP: UIDVALIDITY + UID in a folder; POP3: UIDL); `messageId` is the RFC 5322 Message-ID, used to
 * re-identify messages when the service key changes (a new UIDVALIDITY).
 *
 * @example
 * ```ts
 * const id: MessageIdentity = {
 *   mailboxId: 'support', key: 'imap:INBOX:1700000000:42', messageId: '<abc@example.test>',
 * };
 * ```
 */
export interface MessageIdentity {
  readonly mailboxId: string;
  readonly key: string;
  readonly messageId: string | null;
}

/**
 * Something that remembers which messages were handled. The journal implements it; adapters that cannot restrict
 * discovery on the server (POP3 always, IMAP without `unreadOnly`) ask it to avoid downloading and re-announcing
 * handled messages.
 *
 * @example
 * ```ts
 * const handled: HandledLookup = { isHandled: async (id) => seen.has(id.key) };
 * ```
 */
export interface HandledLookup {
  /** Whether the message (by key, or by Message-ID when the key is unknown to it) needs no more work. */
  isHandled(identity: MessageIdentity): boolean | Promise<boolean>;
}
