/**
 * The IMAP {@link MailService}: validates the mailbox's config once, and opens sessions under one deadline.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { ImapFlow } from 'imapflow';
import type { HandledLookup, MailService, MailSession, SearchFilter } from '../contract.js';
import { configError, isMailServiceError, MailServiceError } from '../errors.js';
import { parseServerAddress, type ServerAddress } from '../server-address.js';
import { IMAP_CAPABILITIES } from './capabilities.js';
import type { ImapMailboxConfig, ImapSettings } from './config.js';
import { toImapError } from './errors.js';
import { type ImapAuth, imapAddressOptions, toImapFlowOptions } from './options.js';
import { simplifyFilter } from './search-filter.js';
import { type ImapLogger, ImapSession } from './session.js';

export { IMAP_CAPABILITIES } from './capabilities.js';

/**
 * What the IMAP service needs besides its config: the lookup of handled messages (the journal), a logger, and the
 * rules' server-side filter (issue 12 point 3; overrides `config.discoveryFilter`).
 *
 * @example
 * ```ts
 * const deps: ImapServiceDeps = { handled: journal, logger: pino(),
 *   discoveryFilter: { op: 'header', field: 'subject', contains: 'invoice' } };
 * ```
 */
export interface ImapServiceDeps {
  readonly handled: HandledLookup;
  readonly logger?: ImapLogger;
  readonly discoveryFilter?: SearchFilter;
  /** Fetch BODYSTRUCTURE in discovery (a rule tests attachments); overrides `config.discoverAttachments`. */
  readonly discoverAttachments?: boolean;
}

/** Checks the fields that need no I/O; throws CONFIG_INVALID naming the mailbox and the field. */
function validate(config: ImapMailboxConfig): { settings: ImapSettings; address: ServerAddress } {
  const id = typeof config.id === 'string' && config.id.length > 0 ? config.id : '(no id)';
  if (id === '(no id)') throw configError(id, 'id', 'must be a non-empty string');
  if (typeof config.user !== 'string' || config.user.length === 0) {
    throw configError(id, 'user', 'must be a non-empty string');
  }
  if (config.password === undefined && config.accessToken === undefined) {
    throw configError(id, 'password', 'give a password, or an accessToken provider for OAuth2');
  }
  let address: ServerAddress;
  try {
    address = parseServerAddress(String(config.server ?? ''), imapAddressOptions(config.allowPlaintext === true));
  } catch (error) {
    // The shared parser may echo the value; a password someone put into the URL must not reach a log.
    const problem = (error as Error).message.replace(/\/\/[^/@\s"]*@/g, '//…@');
    throw configError(id, 'server', problem);
  }
  if (config.discoveryFilter !== undefined) {
    try {
      simplifyFilter(config.discoveryFilter);
    } catch (error) {
      throw configError(id, 'discoveryFilter', (error as Error).message);
    }
  }
  return { settings: config, address };
}

/**
 * Creates the IMAP service of one mailbox on imapflow (SPEC S1, S3, S5, S7). The config is checked now
 * (CONFIG_INVALID, naming the mailbox and field); the CA file is read on each connect, so fixing it needs no
 * restart.
 *
 * - `connect(signal)`: TCP, TLS (implicit, or STARTTLS required with `imap://` unless `allowPlaintext`), greeting,
 *   login and SELECT of the folder under one deadline (`connectTimeoutMs`); aborting `signal` closes the socket.
 *   Failures are typed: CONNECTION_REFUSED, TIMEOUT, TLS_CERT_INVALID (set tlsCa), AUTH_FAILED (not retryable),
 *   STARTTLS_UNAVAILABLE, FOLDER_NOT_FOUND, CONFIG_INVALID, …
 * - The session's `watch` discovers candidates not yet handled, then new mail by IDLE (polling without IDLE, and a
 *   safety NOOP either way); a lost connection rejects it with CONNECTION_LOST.
 *
 * @example
 * ```ts
 * const service = createImapService(
 *   { id: 'support', server: 'imaps://mail.example.test', user: 'support@example.test', password: 'secret' },
 *   { handled: journal, logger },
 * );
 * const machine = mailboxMachine.provide({ actors: createMailboxActors(service, sink) });
 * ```
 */
export function createImapService(config: ImapMailboxConfig, deps: ImapServiceDeps): MailService {
  const { settings, address } = validate({
    ...config,
    ...(deps.discoveryFilter !== undefined ? { discoveryFilter: deps.discoveryFilter } : {}),
    ...(deps.discoverAttachments !== undefined ? { discoverAttachments: deps.discoverAttachments } : {}),
  });
  const where = `IMAP ${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  const context = { mailboxId: settings.id, where, user: settings.user };
  let lastUidValidity: bigint | undefined;

  async function open(client: ImapFlow): Promise<void> {
    await client.connect();
    try {
      await client.mailboxOpen(settings.folder, { readOnly: settings.readOnly });
    } catch (error) {
      if ((error as { mailboxMissing?: unknown }).mailboxMissing === true) {
        throw new MailServiceError({
          code: 'FOLDER_NOT_FOUND',
          message: `${where}: folder ${JSON.stringify(settings.folder)} does not exist`,
          retryable: false,
          mailboxId: settings.id,
          cause: error,
        });
      }
      throw error;
    }
  }

  async function prepare(): Promise<{ auth: ImapAuth; ca: string | undefined }> {
    let ca: string | undefined;
    if (settings.tlsCa !== undefined) {
      try {
        ca = await readFile(settings.tlsCa, 'utf8');
      } catch (error) {
        throw configError(settings.id, 'tlsCa', `cannot read CA file ${JSON.stringify(settings.tlsCa)}`, error);
      }
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
        throw configError(settings.id, 'tlsCa', `${JSON.stringify(settings.tlsCa)} holds no PEM certificate`);
      }
    }
    if (!settings.accessToken) return { auth: { user: settings.user, pass: settings.password ?? '' }, ca };
    let accessToken: string;
    try {
      accessToken = await settings.accessToken();
    } catch (error) {
      // A typed error from the token provider (OAUTH_LOGIN_REQUIRED: "run mail-autopilot login") must reach the
      // operator unchanged; only foreign errors are wrapped.
      if (isMailServiceError(error)) throw error;
      throw new MailServiceError({
        code: 'AUTH_TOKEN_UNAVAILABLE',
        message: `${where}: no OAuth2 access token (${(error as Error)?.message ?? String(error)})`,
        retryable: true,
        mailboxId: settings.id,
        cause: error,
      });
    }
    const auth: ImapAuth = { user: settings.user, accessToken };
    return { auth, ca };
  }

  /**
   * A second connection for `findSent`: same options, logged in, nothing selected, under the same deadline. The
   * caller logs it out.
   */
  async function openAside(): Promise<ImapFlow> {
    const { auth, ca } = await prepare();
    const client = new ImapFlow(toImapFlowOptions(settings, address, auth, ca));
    client.on('error', () => undefined);
    const ms = settings.connectTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        client.close();
        reject(
          new MailServiceError({
            code: 'TIMEOUT',
            message: `${where}: second connection not ready within ${ms} ms`,
            retryable: true,
            mailboxId: settings.id,
          }),
        );
      }, ms);
    });
    try {
      await Promise.race([client.connect(), deadline]);
      return client;
    } catch (error) {
      client.close();
      throw toImapError(error, { ...context, phase: 'connect' });
    } finally {
      clearTimeout(timer);
    }
  }

  async function connect(signal: AbortSignal): Promise<MailSession> {
    const ms = settings.connectTimeoutMs;
    let client: ImapFlow | undefined;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let settled = false;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        client?.close();
        reject(
          new MailServiceError({
            code: 'TIMEOUT',
            message: `${where}: not connected within ${ms} ms (TCP, TLS, greeting, login and folder)`,
            retryable: true,
            mailboxId: settings.id,
          }),
        );
      }, ms);
      onAbort = () => {
        client?.close();
        reject(
          new MailServiceError({
            code: 'ABORTED',
            message: `${where}: connect aborted`,
            retryable: true,
            mailboxId: settings.id,
          }),
        );
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    const attempt = (async () => {
      const { auth, ca } = await prepare();
      // The deadline or the signal may have won while the CA or the token was read: open no socket then.
      if (settled || signal.aborted) throw new Error('connect abandoned');
      client = new ImapFlow(toImapFlowOptions(settings, address, auth, ca));
      // imapflow emits at most one 'error' per connection; without a listener it would crash the process.
      client.on('error', () => undefined);
      await open(client);
      return client;
    })();
    // Whichever loses the race must not surface as an unhandled rejection.
    attempt.catch(() => undefined);
    stop.catch(() => undefined);
    try {
      const connected = await Promise.race([attempt, stop]);
      const session = new ImapSession({
        client: connected,
        settings,
        handled: deps.handled,
        logger: deps.logger,
        where,
        previousUidValidity: lastUidValidity,
        onUidValidity: (value) => {
          lastUidValidity = value;
        },
        openAside,
      });
      deps.logger?.info(
        {
          mailboxId: settings.id,
          server: where,
          tls: connected.secureConnection ? 'tls' : 'plaintext',
          idle: connected.capabilities.has('IDLE'),
          folder: settings.folder,
        },
        'IMAP connected',
      );
      return session;
    } catch (error) {
      client?.close();
      const typed = toImapError(error, { ...context, phase: 'connect' });
      deps.logger?.warn({ mailboxId: settings.id, code: typed.code }, `IMAP connect failed: ${typed.message}`);
      throw typed;
    } finally {
      settled = true;
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  return { kind: 'imap', mailboxId: settings.id, capabilities: IMAP_CAPABILITIES, connect };
}
