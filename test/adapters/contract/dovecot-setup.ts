/**
 * The contract setup on the Dovecot harness: one harness user per mailbox, mail put in by LMTP (a real new-mail
 * event), and the mailbox inspected in its Maildir, without the adapter.
 *
 * @module
 */
import { readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { HandledLookup, MailService } from '../../../adapters/contract.js';
import { type MailServers, startMailServers, type TestUser } from '../../../scripts/harness/mail-servers.js';
import type { ContractMailbox, ContractSetup, InspectedMessage } from './mail-service.contract.js';

/** Maildir flag letters and their IMAP names. */
const FLAG_LETTERS: Record<string, string> = {
  S: '\\Seen',
  F: '\\Flagged',
  R: '\\Answered',
  T: '\\Deleted',
  D: '\\Draft',
};

function subjectOf(file: string): string {
  const text = readFileSync(file, 'latin1');
  const head = text.slice(0, Math.max(0, text.search(/\r?\n\r?\n/))).replace(/\r?\n[ \t]+/g, ' ');
  return /^subject:\s*(.*)$/im.exec(head)?.[1]?.trim() ?? '';
}

function inspectMaildir(maildir: string): InspectedMessage[] {
  const out: InspectedMessage[] = [];
  const folders = [
    { name: 'INBOX', dir: maildir },
    ...readdirSync(maildir)
      .filter((name) => name.startsWith('.') && name.length > 1 && !name.startsWith('..'))
      .map((name) => ({ name: name.slice(1), dir: join(maildir, name) })),
  ];
  for (const { name, dir } of folders) {
    for (const sub of ['new', 'cur']) {
      let files: string[];
      try {
        files = readdirSync(join(dir, sub));
      } catch {
        continue;
      }
      for (const file of files) {
        const info = sub === 'cur' ? (/:2,([A-Za-z]*)$/.exec(file)?.[1] ?? '') : '';
        const flags = [...info].map((letter) => FLAG_LETTERS[letter]).filter((flag): flag is string => !!flag);
        if (flags.includes('\\Deleted')) continue;
        out.push({ subject: subjectOf(join(dir, sub, file)), folder: name, unread: !flags.includes('\\Seen'), flags });
      }
    }
  }
  return out;
}

/** Marks a delivered message seen the Maildir way: new/NAME → cur/NAME:2,S (Dovecot keeps its UID). */
function markSeenInMaildir(maildir: string, messageId: string): void {
  for (const file of readdirSync(join(maildir, 'new'))) {
    const path = join(maildir, 'new', file);
    if (readFileSync(path, 'latin1').includes(messageId)) {
      renameSync(path, join(maildir, 'cur', `${file}:2,S`));
      return;
    }
  }
  throw new Error(`delivered message ${messageId} not found in ${maildir}/new`);
}

/**
 * The setup for an adapter on Dovecot; `makeService` builds the adapter's service for a harness user.
 *
 * @example
 * ```ts
 * describeMailServiceContract('IMAP', () => dovecotContractSetup((servers, user, options) => createImapService(…)));
 * ```
 */
export async function dovecotContractSetup(
  makeService: (
    servers: MailServers,
    user: TestUser,
    options: { readonly unreadOnly: boolean; readonly handled: HandledLookup },
  ) => MailService,
  users = 24,
): Promise<ContractSetup> {
  const servers = await startMailServers({ users, smtp: false });
  let next = 0;
  return {
    messageIds: true,
    // Dovecot answers in milliseconds; a short bound keeps a missing callback from costing 20 s.
    waitMs: 8_000,
    async mailbox(): Promise<ContractMailbox> {
      const user = servers.users[next++];
      if (!user) throw new Error(`the contract setup ran out of harness users (${users})`);
      return {
        inbox: 'INBOX',
        moveTarget: 'Archive',
        moveTargetInspected: 'Archive',
        service: (options) => makeService(servers, user, options),
        async put(message) {
          await servers.deliver(user.user, {
            subject: message.subject,
            from: message.from,
            to: user.user,
            text: message.text,
            messageId: message.messageId,
          });
          if (!message.unread) markSeenInMaildir(user.maildir, message.messageId);
        },
        async inspect() {
          return inspectMaildir(user.maildir);
        },
      };
    },
    close: () => servers.stop(),
  };
}
