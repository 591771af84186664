/**
 * The SMTP transport of one mailbox, on nodemailer: used by the reply/forward/send actions (issue 3, item 2).
 *
 * @module
 */
import { isIP } from 'node:net';
import nodemailer, { type SentMessageInfo, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { MailServiceError } from '../errors.js';
import { resolveSmtpSettings, type SmtpConfig, type SmtpSettings } from './config.js';
import { toSmtpError } from './errors.js';
import { rawMessageId, type SmtpMessage, type SmtpSendResult, toMailOptions } from './message.js';

/**
 * Sends mail for one mailbox. Every failure is a {@link MailServiceError} naming the mailbox.
 *
 * @example
 * ```ts
 * const smtp = createSmtpTransport({ server: 'smtp://mail.example.test:587', user, password, connectionTimeoutMs: 30_000 }, 'support');
 * await smtp.verify();
 * const { messageId } = await smtp.send({ from: user, to: 'customer@example.test', subject: 'Hi', text: 'x' });
 * smtp.close();
 * ```
 */
export interface SmtpTransport {
  readonly mailboxId: string;
  /** Sends one message over a fresh connection; `signal` aborts it. */
  send(message: SmtpMessage, options?: { readonly signal?: AbortSignal }): Promise<SmtpSendResult>;
  /** Connects, secures and logs in (without sending), within one deadline of `connectionTimeoutMs`. */
  verify(): Promise<void>;
  /** Refuses further sends. Idempotent. */
  close(): void;
}

/** Where a failed token renewal is kept: nodemailer would reduce it to a generic EAUTH (and rewrite its `code`). */
interface TokenRenewal {
  failure?: unknown;
}

async function nodemailerOptions(settings: SmtpSettings, renewal: TokenRenewal): Promise<SMTPTransport.Options> {
  const { host, port, tls } = settings.address;
  let auth: SMTPTransport.Options['auth'];
  if (settings.auth.kind === 'password') auth = { user: settings.auth.user, pass: settings.auth.password };
  if (settings.auth.kind === 'oauth2') {
    const provider = settings.auth.accessToken;
    auth = {
      type: 'OAuth2',
      user: settings.auth.user,
      // Taken before connecting, so a token that needs a person (OAUTH_LOGIN_REQUIRED) fails the send as itself.
      accessToken: await provider(),
      // After an XOAUTH2 535 nodemailer asks for a renewed token (renew = true) and tries once more; without this
      // callback it would resend the same token (NOTES.md).
      provisionCallback: (_user, renew, callback) => {
        provider(renew ? { forceRefresh: true } : undefined).then(
          (token) => callback(null, token, 0),
          (error: unknown) => {
            renewal.failure = error;
            callback(new Error('the OAuth2 access token could not be renewed'), '', 0);
          },
        );
      },
    };
  }
  return {
    host,
    port,
    secure: tls === 'implicit',
    // `starttls`: fail rather than continue in plaintext; `none-allowed`: plaintext as configured, no upgrade.
    requireTLS: tls === 'starttls',
    ignoreTLS: tls === 'none-allowed',
    ...(auth !== undefined ? { auth } : {}),
    tls: {
      minVersion: 'TLSv1.2',
      ...(settings.secureContext !== undefined ? { secureContext: settings.secureContext } : {}),
      // SNI must be a name, never an IP address.
      ...(isIP(host) === 0 ? { servername: host } : {}),
    },
    connectionTimeout: settings.timeoutMs,
    greetingTimeout: settings.timeoutMs,
    socketTimeout: settings.timeoutMs,
    // A message never makes the transport read local files or fetch URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  };
}

/**
 * Creates the transport of `mailboxId`. The configuration is validated here, before anything connects: a problem
 * throws a `CONFIG_INVALID` {@link MailServiceError}.
 *
 * @example
 * ```ts
 * const smtp = createSmtpTransport({ server: 'smtps://127.0.0.1:4650', user, password, tlsCa: '/tmp/ca.crt', connectionTimeoutMs: 30_000 }, 'support');
 * ```
 */
export function createSmtpTransport(config: SmtpConfig, mailboxId: string): SmtpTransport {
  const settings = resolveSmtpSettings(config, mailboxId);
  const where = `SMTP ${settings.address.host.includes(':') ? `[${settings.address.host}]` : settings.address.host}:${settings.address.port}`;
  let closed = false;

  const open = async (renewal: TokenRenewal): Promise<Transporter<SentMessageInfo>> => {
    if (closed) {
      throw new MailServiceError({
        code: 'TRANSPORT_CLOSED',
        message: `${where}: transport is closed`,
        retryable: false,
        mailboxId,
      });
    }
    try {
      return nodemailer.createTransport(await nodemailerOptions(settings, renewal));
    } catch (error) {
      throw toSmtpError(error, mailboxId, where);
    }
  };

  return {
    mailboxId,

    async send(message, options) {
      const renewal: TokenRenewal = {};
      const transport = await open(renewal);
      try {
        const info = (await transport.sendMail({
          ...toMailOptions(message),
          ...(options?.signal !== undefined ? { signal: options.signal } : {}),
        })) as SMTPTransport.SentMessageInfo;
        return {
          messageId: (message.raw !== undefined ? rawMessageId(message.raw) : undefined) ?? info.messageId,
          accepted: info.accepted.map(String),
          rejected: info.rejected.map(String),
          response: info.response,
        };
      } catch (error) {
        throw toSmtpError(renewal.failure ?? error, mailboxId, where);
      } finally {
        transport.close();
      }
    },

    async verify() {
      const renewal: TokenRenewal = {};
      const transport = await open(renewal);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error('no SMTP session within the deadline'), { code: 'ETIMEDOUT' })),
          settings.timeoutMs,
        );
        timer.unref();
      });
      try {
        await Promise.race([transport.verify(), deadline]);
      } catch (error) {
        throw toSmtpError(renewal.failure ?? error, mailboxId, where);
      } finally {
        clearTimeout(timer);
        transport.close();
      }
    },

    close() {
      closed = true;
    },
  };
}
