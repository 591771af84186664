/**
 * How the IMAP benches connect: the adapter's config and a plain imapflow client for the same user, both over
 * IMAPS with the harness's CA (certificates verified on both sides, the setting users run).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { ImapMailboxConfig } from '../../adapters/imap/index.js';
import { imapDefaults } from '../../scripts/harness/adapter-settings.js';

/**
 * Where and as whom to connect (a harness user on the harness's IMAPS port).
 *
 * @example
 * ```ts
 * const target: ImapTarget = { host: servers.host, port: servers.ports.imaps, caFile: servers.caFile, user, password };
 * ```
 */
export interface ImapTarget {
  readonly host: string;
  readonly port: number;
  readonly caFile: string;
  readonly user: string;
  readonly password: string;
}

/**
 * The adapter's config for `target` (IMAPS, CA file, INBOX, every message a candidate).
 *
 * @example
 * ```ts
 * const service = createImapService(adapterConfig(target, 'bench'), { handled: nothingHandled });
 * ```
 */
export function adapterConfig(target: ImapTarget, id: string): ImapMailboxConfig {
  return {
    ...imapDefaults(),
    id,
    server: `imaps://${target.host}:${target.port}`,
    user: target.user,
    password: target.password,
    tlsCa: target.caFile,
  };
}

const caCache = new Map<string, string>();

/**
 * A plain imapflow client for `target` (not connected yet). `autoIdleDelay` defaults to the adapter's 100 ms,
 * so both sides idle alike; `logger: false` as in the adapter.
 *
 * @example
 * ```ts
 * const client = plainClient(target);
 * await client.connect();
 * await client.mailboxOpen('INBOX');
 * ```
 */
export function plainClient(target: ImapTarget, extra: Partial<ImapFlowOptions> = {}): ImapFlow {
  let ca = caCache.get(target.caFile);
  if (ca === undefined) {
    ca = readFileSync(target.caFile, 'utf8');
    caCache.set(target.caFile, ca);
  }
  const client = new ImapFlow({
    host: target.host,
    port: target.port,
    secure: true,
    tls: { ca: [ca] },
    auth: { user: target.user, pass: target.password },
    logger: false,
    autoIdleDelay: 100,
    ...extra,
  });
  client.on('error', () => undefined);
  return client;
}
