/**
 * Turns a mailbox's settings into imapflow options: the TLS policy of S7 lives here, in one pure function.
 *
 * @module
 */

import type { ImapFlowOptions } from 'imapflow';
import type { ServerAddress, ServerAddressOptions } from '../server-address.js';
import { secureContextTrusting } from '../tls-context.js';
import type { ImapSettings } from './config.js';

/**
 * How IMAP reads server addresses (S3): a bare host is implicit TLS on 993, `host:143` and `imap://` STARTTLS.
 *
 * @example
 * ```ts
 * parseServerAddress('imap://127.0.0.1:1143', imapAddressOptions(false)); // { ..., tls: 'starttls' }
 * ```
 */
export function imapAddressOptions(allowPlaintext: boolean): ServerAddressOptions {
  return {
    defaultPortTls: 993,
    defaultPortPlain: 143,
    schemes: { implicit: 'imaps', starttls: 'imap' },
    allowPlaintext,
  };
}

/**
 * How soon imapflow re-enters IDLE after the connection became free. imapflow's default of 15 s would leave the
 * mailbox deaf for 15 s after every check; the adapter holds a mailbox lock across each of its command sequences,
 * so a short delay costs no IDLE/DONE round trip between its own commands.
 *
 * @example
 * ```ts
 * new ImapFlow({ ...options, autoIdleDelay: AUTO_IDLE_DELAY_MS });
 * ```
 */
export const AUTO_IDLE_DELAY_MS = 100;

/**
 * The authentication imapflow gets: a password, or an OAuth2 access token obtained just before connecting.
 *
 * @example
 * ```ts
 * const auth: ImapAuth = { user: 'a@example.test', pass: 'secret' };
 * ```
 */
export type ImapAuth = { user: string; pass: string } | { user: string; accessToken: string };

/**
 * imapflow options for one connection. Certificates are always verified (`rejectUnauthorized` is never
 * turned off); `caPem` is trusted in addition to Node's root CAs, not instead of them (a shared secure context). `imap://` requires
 * STARTTLS (`doSTARTTLS: true`); only an address the config allowed plaintext for (`none-allowed`) stays plaintext.
 *
 * @example
 * ```ts
 * const options = toImapFlowOptions(settings, { host: '127.0.0.1', port: 993, tls: 'implicit' }, auth, caPem);
 * const client = new ImapFlow(options);
 * ```
 */
export function toImapFlowOptions(
  settings: ImapSettings,
  address: ServerAddress,
  auth: ImapAuth,
  caPem?: string,
): ImapFlowOptions {
  const tls: NonNullable<ImapFlowOptions['tls']> = { rejectUnauthorized: true, minVersion: 'TLSv1.2' };
  // One shared context per CA (adapters/tls-context.ts): a per-connection `ca` list costs ~1 MB and a root-store parse
  // on every connect, which dominated the RSS of 1,000 watched mailboxes.
  if (caPem !== undefined) tls.secureContext = secureContextTrusting(caPem);
  const implicit = address.tls === 'implicit';
  return {
    host: address.host,
    port: address.port,
    secure: implicit,
    // Only meaningful without implicit TLS; imapflow refuses doSTARTTLS together with secure.
    ...(implicit ? {} : { doSTARTTLS: address.tls === 'starttls' }),
    tls,
    auth,
    logger: false,
    // Each phase is also bounded by the adapter's own deadline for the whole connect; these keep imapflow's
    // longer defaults (90 s, 16 s) from outliving it.
    connectionTimeout: settings.connectTimeoutMs,
    greetingTimeout: settings.connectTimeoutMs,
    autoIdleDelay: AUTO_IDLE_DELAY_MS,
    clientInfo: { name: 'mail-autopilot' },
  };
}
