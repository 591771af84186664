/**
 * The test SMTP server (the `smtp-server` package): STARTTLS on the submission port and implicit TLS on a second
 * port, both with the run's certificate; AUTH PLAIN/LOGIN against the harness users (required), an XOAUTH2 hook
 * for a later issue; it records every accepted message and relays it into Dovecot over LMTP for each local
 * recipient before answering 250, so when a send resolves the mail is already in the recipient's mailbox.
 *
 * Recipients: a known user at a harness domain is relayed; an unknown local part at `example.test` is refused with
 * 550 (for "recipient rejected" tests); a local part starting with `tempfail` is refused with 451 (for "temporary
 * failure" tests); any other domain is accepted and only recorded (as a relay would forward it).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { LmtpDelivery } from './lmtp.js';
import type { ReceivedSmtpMessage, TestUser } from './types.js';

/** What {@link startSmtpRelay} needs. */
export interface SmtpRelayOptions {
  readonly port: number;
  /** Implicit-TLS port; 0 for none. */
  readonly securePort: number;
  readonly certFile: string;
  readonly keyFile: string;
  readonly users: readonly TestUser[];
  readonly lmtp: LmtpDelivery;
  /** Where received messages are appended. */
  readonly received: ReceivedSmtpMessage[];
  /** XOAUTH2 check; without it XOAUTH2 logins are refused. */
  readonly oauth?: (user: string, accessToken: string) => boolean;
  /** Domains whose unknown users are refused with 550. */
  readonly localDomains: readonly string[];
}

/** A running relay (see {@link startSmtpRelay}). */
export interface SmtpRelay {
  close(): Promise<void>;
}

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

function localPartOf(address: string): string {
  return address.slice(0, address.lastIndexOf('@')).toLowerCase();
}

/**
 * Starts the SMTP servers; resolves when they listen.
 *
 * @example
 * ```ts
 * const relay = await startSmtpRelay({ port, securePort, certFile, keyFile, users, lmtp, received: [], localDomains: ['example.test'] });
 * await relay.close();
 * ```
 */
export async function startSmtpRelay(options: SmtpRelayOptions): Promise<SmtpRelay> {
  const [cert, key] = await Promise.all([readFile(options.certFile), readFile(options.keyFile)]);
  const byAddress = new Map(options.users.map((user) => [user.user.toLowerCase(), user]));
  /** The user an address delivers to (`user+detail@domain` included), if any. */
  const userFor = (address: string): TestUser | undefined => {
    const local = localPartOf(address).replace(/\+.*$/, '');
    return byAddress.get(`${local}@${domainOf(address)}`);
  };

  const makeServer = (secure: boolean) =>
    new SMTPServer({
      secure,
      key,
      cert,
      name: 'smtp.harness.example.test',
      logger: false,
      authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'],
      authOptional: false,
      // Loopback test server: AUTH before STARTTLS is allowed so clients configured for plaintext can be tested.
      // Whether the client used TLS is recorded per message (`secure`).
      allowInsecureAuth: true,
      size: 64 * 1024 * 1024,
      closeTimeout: 1_000,
      onAuth(auth, _session, callback) {
        if (auth.method === 'XOAUTH2') {
          const ok = options.oauth?.(auth.username ?? '', auth.accessToken ?? '') === true;
          if (ok) return callback(null, { user: auth.username });
          return callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.example.test/' } });
        }
        const user = byAddress.get((auth.username ?? '').toLowerCase());
        if (user !== undefined && auth.password === user.password) return callback(null, { user: user.user });
        return callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
      },
      onRcptTo(address, _session, callback) {
        const local = localPartOf(address.address);
        if (local.startsWith('tempfail')) return callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
        if (userFor(address.address) !== undefined) return callback();
        if (options.localDomains.includes(domainOf(address.address))) {
          return callback(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected: User unknown`));
        }
        return callback();
      },
      onData(stream, session: SMTPServerSession, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', (error) => callback(error));
        stream.on('end', () => {
          if (stream.sizeExceeded) return callback(smtpError(552, '5.3.4 Message too big'));
          const raw = Buffer.concat(chunks);
          const mailFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
          const rcptTo = session.envelope.rcptTo.map((rcpt) => rcpt.address);
          options.received.push({
            mailFrom,
            rcptTo,
            raw,
            authUser: typeof session.user === 'string' ? session.user : null,
            secure: session.secure,
          });
          const local = rcptTo.filter((address) => userFor(address) !== undefined);
          if (local.length === 0) return callback(null, 'Accepted (recorded, not relayed)');
          options.lmtp.deliver(mailFrom, local, raw).then(
            () => callback(null, 'Accepted and delivered'),
            (error: unknown) => callback(smtpError(451, `4.3.0 Local delivery failed: ${String(error)}`)),
          );
        });
      },
    });

  const servers: SMTPServer[] = [makeServer(false)];
  if (options.securePort !== 0) servers.push(makeServer(true));
  const ports = [options.port, options.securePort];
  await Promise.all(
    servers.map(
      (server, i) =>
        new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(ports[i], '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
          });
        }),
    ),
  );
  // Errors of single connections (a client that drops mid-session) must not crash the test process.
  for (const server of servers) server.on('error', () => undefined);

  let closed: Promise<void> | null = null;
  return {
    close() {
      closed ??= Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      ).then(() => undefined);
      return closed;
    },
  };
}
