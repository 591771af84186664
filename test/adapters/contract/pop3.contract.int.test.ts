/**
 * The mail-service contract against the POP3 adapter (adapters/pop3) on the Dovecot harness, over POP3S with the
 * harness CA. POP3 declares no unreadOnly (SPEC S5), so the option is never passed.
 */
import { createPop3Service } from '../../../adapters/pop3/index.js';
import { pop3Defaults } from '../../../scripts/harness/adapter-settings.js';
import { dovecotContractSetup } from './dovecot-setup.js';
import { describeMailServiceContract } from './mail-service.contract.js';

describeMailServiceContract('POP3 (Dovecot)', () =>
  dovecotContractSetup((servers, user, { unreadOnly, handled }) =>
    createPop3Service(
      {
        ...pop3Defaults(),
        id: `pop3-${user.user}`,
        server: `pop3s://127.0.0.1:${servers.ports.pop3s}`,
        user: user.user,
        password: user.password,
        tlsCa: servers.caFile,
        pollIntervalMs: 200,
        ...(unreadOnly ? { unreadOnly } : {}),
      },
      { handled },
    ),
  ),
);
