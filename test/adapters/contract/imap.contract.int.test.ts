/**
 * The mail-service contract against the IMAP adapter (adapters/imap) on the Dovecot harness, over IMAPS with the
 * harness CA.
 */
import { createImapService } from '../../../adapters/imap/index.js';
import { imapDefaults } from '../../../scripts/harness/adapter-settings.js';
import { dovecotContractSetup } from './dovecot-setup.js';
import { describeMailServiceContract } from './mail-service.contract.js';

describeMailServiceContract('IMAP (Dovecot)', () =>
  dovecotContractSetup((servers, user, { unreadOnly, handled }) =>
    createImapService(
      {
        ...imapDefaults(),
        id: `imap-${user.user}`,
        server: `imaps://127.0.0.1:${servers.ports.imaps}`,
        user: user.user,
        password: user.password,
        tlsCa: servers.caFile,
        unreadOnly,
        pollIntervalMs: 200,
      },
      { handled },
    ),
  ),
);
