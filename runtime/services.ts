/**
 * Creates the mail service (adapter) for a configured mailbox: the one place that knows which adapter serves which
 * service kind of SPEC S1.
 *
 * @module
 */
import type { HandledLookup, MailService } from '../adapters/contract.js';
import { MailServiceError } from '../adapters/errors.js';
import { createImapService } from '../adapters/imap/index.js';
import { createPop3Service } from '../adapters/pop3/index.js';
import type { MailboxConfig } from './config/load.js';

/**
 * What an adapter needs from the runtime.
 *
 * @example
 * ```ts
 * const deps: ServiceDeps = { handled: journal };
 * ```
 */
export interface ServiceDeps {
  readonly handled: HandledLookup;
  readonly logger?: {
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
    error(obj: object, msg?: string): void;
  };
}

/**
 * Makes the service of one mailbox. Hosts and tests may pass their own factory to `createAutopilot` (MAPI bridges,
 * simulated mailboxes).
 *
 * @example
 * ```ts
 * const factory: ServiceFactory = (mailbox, deps) => createMailService(mailbox, deps);
 * ```
 */
export type ServiceFactory = (mailbox: MailboxConfig, deps: ServiceDeps) => MailService;

/**
 * The default {@link ServiceFactory}: IMAP and POP3 adapters; MAPI only on Windows (validation rejects it elsewhere,
 * S1).
 *
 * @example
 * ```ts
 * const service = createMailService(config.mailboxes[0], { handled: journal });
 * ```
 */
export function createMailService(mailbox: MailboxConfig, deps: ServiceDeps): MailService {
  switch (mailbox.service) {
    case 'imap':
      return createImapService(
        {
          id: mailbox.id,
          server: mailbox.server ?? '',
          user: mailbox.user ?? '',
          password: mailbox.password,
          folder: mailbox.folder,
          unreadOnly: mailbox.unreadOnly ?? false,
          tlsCa: mailbox.tlsCa,
          allowPlaintext: mailbox.allowPlaintext,
          pollIntervalMs: mailbox.pollInterval,
        },
        deps,
      );
    case 'pop3':
      return createPop3Service(
        {
          id: mailbox.id,
          server: mailbox.server ?? '',
          user: mailbox.user ?? '',
          password: mailbox.password,
          tlsCa: mailbox.tlsCa,
          allowPlaintext: mailbox.allowPlaintext,
          pollIntervalMs: mailbox.pollInterval,
        },
        deps,
      );
    default:
      throw new MailServiceError({
        code: 'SERVICE_UNAVAILABLE',
        message: `${mailbox.service} is not available on ${process.platform} (MAPI needs Windows, SPEC S1)`,
        retryable: false,
        mailboxId: mailbox.id,
      });
  }
}
