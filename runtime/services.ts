/**
 * Creates the mail service (adapter) for a configured mailbox: the one place that knows which adapter serves which
 * service kind of SPEC S1.
 *
 * @module
 */
import type { HandledLookup, MailService, SearchFilter } from '../adapters/contract.js';
import { createImapService } from '../adapters/imap/index.js';
import { createMapiExtendedService } from '../adapters/mapi-extended/index.js';
import { createMapiSimpleService } from '../adapters/mapi-simple/index.js';
import type { AccessTokenProvider, OAuth2Broker } from '../adapters/oauth2/index.js';
import { createPop3Service } from '../adapters/pop3/index.js';
import type { MailboxConfig } from './config/load.js';

// Moved to service-capabilities.ts (light: no protocol library); re-exported for the callers of this module.
export { assertMailboxRulesSupported, SERVICE_CAPABILITIES } from './service-capabilities.js';

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
  /** Token providers for mailboxes with `oauth2` (SPEC S3/S4); one broker per process. */
  readonly oauth2?: OAuth2Broker;
  /** IMAP: the mailbox rules' server-side filter (`compileSearchFilter`, issue 12 point 3); other services ignore it. */
  readonly discoveryFilter?: SearchFilter;
  /** IMAP: fetch BODYSTRUCTURE in discovery because a rule tests attachments (issue 15 point 6). */
  readonly discoverAttachments?: boolean;
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
 * The default {@link ServiceFactory}: the IMAP, POP3, Extended MAPI and Simple MAPI adapters (MAPI works only on
 * Windows; validation rejects it elsewhere, S1, and its factories throw `MAPI_UNAVAILABLE` if that is bypassed).
 *
 * @example
 * ```ts
 * const service = createMailService(config.mailboxes[0], { handled: journal });
 * ```
 */
export function createMailService(mailbox: MailboxConfig, deps: ServiceDeps): MailService {
  const token = (protocol: 'imap' | 'pop'): AccessTokenProvider | undefined =>
    mailbox.oauth2 && deps.oauth2
      ? deps.oauth2.tokenProvider({ id: mailbox.id, user: mailbox.user ?? '', oauth2: mailbox.oauth2 }, protocol)
      : undefined;
  const mapi = {
    id: mailbox.id,
    profile: mailbox.profile,
    folder: mailbox.folder,
    unreadOnly: mailbox.unreadOnly,
    pollIntervalMs: mailbox.pollInterval,
    callTimeoutMs: mailbox.commandTimeout,
    connectTimeoutMs: mailbox.connectTimeout,
    maxBodyBytes: mailbox.maxBodyBytes,
  };
  switch (mailbox.service) {
    case 'imap': {
      const accessToken = token('imap');
      return createImapService(
        {
          id: mailbox.id,
          server: mailbox.server ?? '',
          user: mailbox.user ?? '',
          ...(accessToken ? { accessToken } : { password: mailbox.password }),
          folder: mailbox.folder,
          unreadOnly: mailbox.unreadOnly,
          tlsCa: mailbox.tlsCa,
          allowPlaintext: mailbox.allowPlaintext,
          pollIntervalMs: mailbox.pollInterval,
          safetyPollMs: mailbox.safetyPoll,
          connectTimeoutMs: mailbox.connectTimeout,
          maxBodyBytes: mailbox.maxBodyBytes,
          readOnly: mailbox.readOnly,
        },
        deps,
      );
    }
    case 'pop3': {
      const accessToken = token('pop');
      return createPop3Service(
        {
          id: mailbox.id,
          server: mailbox.server ?? '',
          user: mailbox.user ?? '',
          ...(accessToken ? { accessToken } : { password: mailbox.password }),
          tlsCa: mailbox.tlsCa,
          allowPlaintext: mailbox.allowPlaintext,
          pollIntervalMs: mailbox.pollInterval,
          connectTimeoutMs: mailbox.connectTimeout,
          commandTimeoutMs: mailbox.commandTimeout,
          maxBodyBytes: mailbox.maxBodyBytes,
        },
        deps,
      );
    }
    case 'mapi-extended':
      return createMapiExtendedService(mapi, deps);
    case 'mapi-simple':
      return createMapiSimpleService(mapi, deps);
  }
}
