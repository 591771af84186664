/**
 * The actions of an IMAP session on discovered messages, single and batched (issue 12 point 2): a batch of like
 * actions is one `UID STORE` / `UID MOVE` / `UID FETCH` over a compact UID set, not one command per message.
 *
 * @module
 */
import type { ImapFlow } from 'imapflow';
import type { DiscoveredMessage } from '../contract.js';
import type { MailServiceError } from '../errors.js';
import { toSequenceSet } from './message.js';

/**
 * Longest UID set one command carries. Dovecot refuses command lines over `imap_max_line_length` (64 KiB by
 * default); a set of scattered UIDs is split below that, contiguous ranges never need it.
 */
export const MAX_SEQUENCE_SET_CHARS = 16_000;
/** Bytes of message sources one `UID FETCH … BODY.PEEK[]` of {@link ImapActions.fetchSources} may bring. */
export const FETCH_SOURCES_BATCH_BYTES = 8 * 1024 * 1024;

/** An IMAP flag or keyword as `STORE` takes it (RFC 3501 `flag`): no white space, parentheses or wildcards. */
const FLAG = /^\\?[^\s()[\]{}%*"\\]+$/;

/**
 * What the actions need from their session: the client, the mailbox lock, the UID check and typed errors.
 *
 * @example
 * ```ts
 * const host: ActionHost = { client, mailboxId: 'support', locked: (w) => w(), uidOf: (m) => Number(m.ref),
 *   error: (code, text, retryable) => new MailServiceError({ code, message: text, retryable, mailboxId: 'support' }),
 *   failed: () => { throw new Error('refused'); } };
 * ```
 */
export interface ActionHost {
  readonly client: ImapFlow;
  readonly mailboxId: string;
  readonly logger?: { info(obj: object, msg: string): void };
  /** Runs a command sequence under the mailbox lock; failures become typed errors. */
  locked<T>(work: () => Promise<T>): Promise<T>;
  /** The UID of a message of this session (MESSAGE_STALE otherwise). */
  uidOf(message: DiscoveredMessage): number;
  error(code: string, message: string, retryable: boolean, cause?: unknown): MailServiceError;
  /** Throws CONNECTION_LOST when the connection is gone, else ACTION_FAILED saying what was refused. */
  failed(what: string): never;
}

/**
 * Splits UIDs into compact sequence sets of at most `maxChars` characters each (sorted, de-duplicated).
 *
 * @example
 * ```ts
 * sequenceSetChunks([1, 2, 3, 7, 9], 100); // ['1:3,7,9']
 * sequenceSetChunks([1, 3, 5], 3);         // ['1,3', '5']
 * ```
 */
export function sequenceSetChunks(uids: readonly number[], maxChars = MAX_SEQUENCE_SET_CHARS): string[] {
  const ranges = toSequenceSet(uids).split(',').filter(Boolean);
  const chunks: string[] = [];
  let current = '';
  for (const range of ranges) {
    if (current !== '' && current.length + 1 + range.length > maxChars) {
      chunks.push(current);
      current = range;
    } else {
      current = current === '' ? range : `${current},${range}`;
    }
  }
  if (current !== '') chunks.push(current);
  return chunks;
}

/**
 * Groups messages (in UID order) into fetches of at most `budget` bytes by their reported size; a message larger
 * than the budget is a fetch of its own.
 *
 * @example
 * ```ts
 * sourceFetchGroups([{ uid: 1, size: 6 }, { uid: 2, size: 6 }, { uid: 3, size: 2 }], 10); // [[1], [2, 3]]
 * ```
 */
export function sourceFetchGroups(messages: readonly { uid: number; size: number }[], budget: number): number[][] {
  const sorted = [...messages].sort((a, b) => a.uid - b.uid);
  const groups: number[][] = [];
  let group: number[] = [];
  let bytes = 0;
  for (const { uid, size } of sorted) {
    const weight = Math.max(1, size);
    if (group.length > 0 && bytes + weight > budget) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(uid);
    bytes += weight;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

function describe(messages: readonly DiscoveredMessage[]): string {
  if (messages.length === 1) return messages[0]!.identity.key;
  const first = messages[0]?.identity.key ?? '';
  return `${messages.length} messages (${first}, …)`;
}

/**
 * The actions of one session. Every form checks that each message is of this session first (nothing is sent when
 * one is not), then sends one command per {@link MAX_SEQUENCE_SET_CHARS} of UID set under the mailbox lock.
 *
 * @example
 * ```ts
 * const actions = new ImapActions(host);
 * await actions.markRead(messages); // one UID STORE +FLAGS (\Seen)
 * ```
 */
export class ImapActions {
  readonly #host: ActionHost;

  constructor(host: ActionHost) {
    this.#host = host;
  }

  /** `UID STORE set +FLAGS (\Seen)`. */
  markRead(messages: readonly DiscoveredMessage[]): Promise<void> {
    return this.#addFlag(messages, '\\Seen', 'mark read');
  }

  /** `UID STORE set +FLAGS (flag)`; INVALID_FLAG for a value that is no IMAP flag or keyword. */
  flag(messages: readonly DiscoveredMessage[], flag: string): Promise<void> {
    if (!FLAG.test(flag)) {
      return Promise.reject(
        this.#host.error('INVALID_FLAG', `flag ${JSON.stringify(flag)} is not an IMAP flag or keyword`, false),
      );
    }
    return this.#addFlag(messages, flag, `flag ${flag}`);
  }

  /**
   * `UID MOVE set folder`; where the server has no MOVE, imapflow does `UID COPY`, `UID STORE +FLAGS (\Deleted)`
   * and `UID EXPUNGE set` (UIDPLUS) instead. A refused move is retried once after creating the folder (the usual
   * reason is a missing target, `[TRYCREATE]`, which imapflow reports only as failure).
   */
  async moveTo(messages: readonly DiscoveredMessage[], folder: string): Promise<void> {
    const sets = this.#sets(messages);
    const { client } = this.#host;
    await this.#host.locked(async () => {
      for (const set of sets) {
        let moved = await client.messageMove(set, folder, { uid: true });
        if (!moved && client.usable) {
          const created = await client.mailboxCreate(folder);
          if (created?.created) {
            this.#host.logger?.info({ mailboxId: this.#host.mailboxId, folder }, 'IMAP folder created for moveTo');
          }
          moved = await client.messageMove(set, folder, { uid: true });
        }
        if (!moved) this.#host.failed(`move to ${JSON.stringify(folder)} of ${describe(messages)}`);
      }
    });
  }

  /** `UID STORE set +FLAGS (\Deleted)`, then `UID EXPUNGE set`: only these messages go. */
  async delete(messages: readonly DiscoveredMessage[]): Promise<void> {
    const sets = this.#sets(messages);
    const { client } = this.#host;
    await this.#host.locked(async () => {
      for (const set of sets) {
        const ok = await client.messageDelete(set, { uid: true });
        if (!ok) this.#host.failed(`delete of ${describe(messages)}`);
      }
    });
  }

  /**
   * The sources of `messages`, by identity key, in `UID FETCH set BODY.PEEK[]` commands of at most
   * {@link FETCH_SOURCES_BATCH_BYTES} each (never sets \Seen). A message the server no longer has is left out.
   */
  async fetchSources(messages: readonly DiscoveredMessage[]): Promise<Map<string, Buffer>> {
    const byUid = new Map<number, DiscoveredMessage>();
    for (const message of messages) byUid.set(this.#host.uidOf(message), message);
    const groups = sourceFetchGroups(
      [...byUid].map(([uid, message]) => ({ uid, size: message.size })),
      FETCH_SOURCES_BATCH_BYTES,
    );
    const out = new Map<string, Buffer>();
    const { client } = this.#host;
    for (const group of groups) {
      for (const set of sequenceSetChunks(group)) {
        // Collected whole (fetchAll) before the next command: imapflow cannot interleave with a fetch iterator.
        const rows = await this.#host.locked(() => client.fetchAll(set, { uid: true, source: true }, { uid: true }));
        for (const row of rows) {
          const message = byUid.get(row.uid);
          if (message && row.source) out.set(message.identity.key, row.source);
        }
      }
    }
    return out;
  }

  async #addFlag(messages: readonly DiscoveredMessage[], flag: string, what: string): Promise<void> {
    const sets = this.#sets(messages);
    const { client } = this.#host;
    await this.#host.locked(async () => {
      for (const set of sets) {
        const ok = await client.messageFlagsAdd(set, [flag], { uid: true });
        if (!ok) this.#host.failed(`${what} of ${describe(messages)}`);
      }
    });
  }

  /** The UID sets of messages that are all of this session (checked before any command is sent). */
  #sets(messages: readonly DiscoveredMessage[]): string[] {
    return sequenceSetChunks(messages.map((message) => this.#host.uidOf(message)));
  }
}
