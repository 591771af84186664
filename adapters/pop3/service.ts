/**
 * The POP3 {@link MailService}: validates the mailbox's config once, and opens authenticated POP3 sessions under one
 * deadline.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { HandledLookup, MailService, MailSession } from '../contract.js';
import { configError, MailServiceError } from '../errors.js';
import { POP3_CAPABILITIES } from './capabilities.js';
import { authXOAuth2, login, stls } from './commands/index.js';
import { type Pop3MailboxConfig, type Pop3Settings, validatePop3Config } from './config.js';
import { type Pop3Logger, Pop3Session } from './session.js';
import type { Pop3Security } from './socket.js';
import { Pop3Transport } from './transport.js';

/**
 * What the POP3 service needs besides its config: the lookup of handled messages (the journal), and a logger.
 *
 * @example
 * ```ts
 * const deps: Pop3ServiceDeps = { handled: journal, logger: pino() };
 * ```
 */
export interface Pop3ServiceDeps {
  readonly handled: HandledLookup;
  readonly logger?: Pop3Logger;
}

export { POP3_CAPABILITIES } from './capabilities.js';

/**
 * Creates the POP3 service of one mailbox on this adapter's transport and commands (SPEC S1, S3, S5–S7). The config
 * is checked now ({@link validatePop3Config}: CONFIG_INVALID naming the mailbox and field); the CA file is read on
 * each connect, so fixing it needs no restart.
 *
 * - `connect(signal)`: TCP, TLS (POP3S, or STLS required with `pop3://` unless `allowPlaintext`), greeting and
 *   login (USER/PASS, or AUTH XOAUTH2 with `accessToken`) under one deadline (`connectTimeoutMs`); aborting
 *   `signal` closes the socket. Failures are typed: CONNECTION_REFUSED, TIMEOUT, TLS_CERT_INVALID (set tlsCa),
 *   STARTTLS_UNAVAILABLE, AUTH_FAILED (not retryable), MAILDROP_LOCKED (retryable), CONFIG_INVALID, …
 * - The session's `watch` runs a cycle (one POP3 session: UIDL, TOP of what is not handled yet, QUIT) every
 *   `pollIntervalMs`; a lost connection rejects it with CONNECTION_LOST. See {@link Pop3Session}.
 *
 * @example
 * ```ts
 * const service = createPop3Service(
 *   { id: 'bounces', server: 'pop3s://mail.example.test', user: 'bounces@example.test', password: 'secret' },
 *   { handled: journal, logger },
 * );
 * const machine = mailboxMachine.provide({ actors: createMailboxActors(service, sink) });
 * ```
 */
export function createPop3Service(config: Pop3MailboxConfig, deps: Pop3ServiceDeps): MailService {
  const settings: Pop3Settings = validatePop3Config(config);
  const { address } = settings;
  const where = `POP3 ${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  const security: Pop3Security =
    address.tls === 'implicit' ? 'implicit' : address.tls === 'starttls' ? 'starttls' : 'plaintext';

  async function readCa(): Promise<string | undefined> {
    // Plaintext (allowed explicitly) has no certificate to verify.
    if (settings.tlsCa === undefined || security === 'plaintext') return undefined;
    let ca: string;
    try {
      ca = await readFile(settings.tlsCa, 'utf8');
    } catch (error) {
      throw configError(settings.id, 'tlsCa', `cannot read CA file ${JSON.stringify(settings.tlsCa)}`, error);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw configError(settings.id, 'tlsCa', `${JSON.stringify(settings.tlsCa)} holds no PEM certificate`);
    }
    return ca;
  }

  /** The auth step: USER/PASS, or SASL XOAUTH2 whose error challenge is answered with an empty line (RFC 7628). */
  async function authenticate(transport: Pop3Transport): Promise<void> {
    if (settings.accessToken) await authXOAuth2(transport, settings.user, await settings.accessToken());
    else await login(transport, settings.user, settings.password ?? '');
  }

  /** Opens and authenticates a POP3 session; one deadline covers all of it. */
  async function open(signal: AbortSignal): Promise<Pop3Transport> {
    const ms = settings.connectTimeoutMs;
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(
          new MailServiceError({
            code: 'TIMEOUT',
            message: `${where}: connect and login did not complete within ${ms} ms`,
            retryable: true,
            mailboxId: settings.id,
          }),
        ),
      ms,
    );
    timer.unref();
    const stop = AbortSignal.any([signal, deadline.signal]);
    const aborted = () =>
      stop.reason instanceof MailServiceError
        ? stop.reason
        : new MailServiceError({
            code: 'ABORTED',
            message: `${where}: connect aborted`,
            retryable: true,
            mailboxId: settings.id,
          });
    let transport: Pop3Transport | undefined;
    const onAbort = () => transport?.destroy(aborted());
    stop.addEventListener('abort', onAbort, { once: true });
    try {
      const ca = await readCa();
      if (stop.aborted) throw aborted();
      transport = await Pop3Transport.connect(
        {
          mailboxId: settings.id,
          host: address.host,
          port: address.port,
          security,
          ...(ca ? { ca } : {}),
          commandTimeoutMs: settings.commandTimeoutMs,
        },
        stop,
      );
      // No CAPA first: STLS is asked for directly, and a server without it refuses (no silent plaintext).
      if (security === 'starttls') await stls(transport);
      await authenticate(transport);
      return transport;
    } catch (error) {
      transport?.destroy();
      if (error instanceof MailServiceError) throw error;
      throw new MailServiceError({
        code: 'CONNECT_FAILED',
        message: `${where}: ${error instanceof Error ? error.message : String(error)}`,
        retryable: true,
        mailboxId: settings.id,
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', onAbort);
    }
  }

  async function connect(signal: AbortSignal): Promise<MailSession> {
    try {
      const transport = await open(signal);
      deps.logger?.info(
        { mailboxId: settings.id, encrypted: transport.encrypted },
        `${where}: POP3 session opened for ${settings.user}`,
      );
      return new Pop3Session({ settings, handled: deps.handled, logger: deps.logger, where, open }, transport);
    } catch (error) {
      const typed = error as MailServiceError;
      deps.logger?.warn({ mailboxId: settings.id, code: typed.code }, `POP3 connect failed: ${typed.message}`);
      throw error;
    }
  }

  return { kind: 'pop3', mailboxId: settings.id, capabilities: POP3_CAPABILITIES, connect };
}
