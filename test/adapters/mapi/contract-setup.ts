/**
 * The contract setup of the MAPI adapters on their fakes: one fake store per mailbox, the fake running inside the
 * real bridge child.
 *
 * @module
 */
import type { ContractMailbox, ContractMessage, ContractSetup } from '../contract/mail-service.contract.js';
import { fakeMapiMailbox } from './fixtures.js';

function transportHeaders(message: ContractMessage, date: Date): string {
  return [
    `Received: from mx.example.test by mailbox.example.test; ${date.toUTCString()}`,
    `From: ${message.from}`,
    `To: ${message.to}`,
    `Subject: ${message.subject}`,
    `Message-ID: ${message.messageId}`,
    `Date: ${date.toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    '',
  ].join('\r\n');
}

/**
 * The setup for one MAPI flavour on its fake.
 *
 * @example
 * ```ts
 * describeMailServiceContract('Simple MAPI (fake)', async () => fakeMapiContractSetup('simple'));
 * ```
 */
export function fakeMapiContractSetup(flavour: 'extended' | 'simple'): ContractSetup {
  return {
    messageIds: flavour === 'extended',
    waitMs: 20_000,
    async mailbox(): Promise<ContractMailbox> {
      const box = fakeMapiMailbox(flavour);
      return {
        inbox: 'Inbox',
        moveTarget: 'Archive',
        moveTargetInspected: 'Archive',
        service: ({ unreadOnly, handled }) => box.service({ unreadOnly }, handled),
        async put(message) {
          const date = new Date();
          box.store.deliver('Inbox', {
            subject: message.subject,
            senderAddress: message.from,
            recipients: [{ name: '', address: message.to, type: 1 }],
            body: `${message.text}\r\n`,
            unread: message.unread,
            receivedTime: date.toISOString(),
            internetMessageId: message.messageId,
            transportHeaders: transportHeaders(message, date),
          });
        },
        async inspect() {
          return box.store.all().map(({ folder, message }) => ({
            subject: message.subject,
            folder,
            unread: message.unread,
            flags: [],
          }));
        },
        async sent() {
          return box.store.messages('Sent Items').map((message) => ({
            subject: message.subject,
            to: message.recipients.filter((r) => r.type === 1).map((r) => r.address),
          }));
        },
        async dispose() {
          box.dispose();
        },
      };
    },
  };
}
