/**
 * XOAUTH2 end to end (issue 7, item 4): tokens from the broker, signed by the local identity provider, accepted by
 * real servers — Dovecot's oauth2 passdb for IMAP and POP3 (local JWT validation, a required scope per protocol)
 * and the harness SMTP server — and refused where the token lacks the protocol's scope.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImapService } from '../../../adapters/imap/index.js';
import {
  type AccessTokenProvider,
  createOAuth2Broker,
  type OAuth2Broker,
  type Pop3LineIo,
  pop3AuthXOAuth2,
} from '../../../adapters/oauth2/index.js';
import { createPop3Service } from '../../../adapters/pop3/index.js';
import { createSmtpTransport } from '../../../adapters/smtp/index.js';
import { imapDefaults, pop3Defaults, smtpDefaults } from '../../../scripts/harness/adapter-settings.js';
import { type MailServers, startMailServers } from '../../../scripts/harness/mail-servers.js';
import { type OAuth2Fixture, socketLines, startOAuth2Fixture } from './helpers.js';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';

let fx: OAuth2Fixture;
let servers: MailServers;
let broker: OAuth2Broker;

beforeAll(async () => {
  fx = await startOAuth2Fixture([ALICE, BOB]);
  servers = await startMailServers({
    users: ['alice', 'bob'],
    oauth2: { ...fx.key, scopes: { imap: 'IMAP.AccessAsUser.All', pop3: 'POP.AccessAsUser.All' } },
    smtpOAuth: (user, token) =>
      fx.idp.verifyAccessToken(token, { user, scope: 'SMTP.Send' }) !== undefined ||
      fx.idp.verifyAccessToken(token, { scope: 'SMTP.SendAsApp' }) !== undefined,
  });
  broker = createOAuth2Broker({ tokenCache: fx.cachePath('servers'), networkClient: fx.idp.networkClient() });
  // Alice consents to IMAP, POP and SMTP; Bob only to SMTP.
  await broker.login({
    mailboxes: [fx.mailbox('alice', ALICE, ['imap', 'pop', 'smtp'])],
    onDeviceCode: fx.approveAs(ALICE),
  });
  await broker.login({ mailboxes: [fx.mailbox('bob', BOB, ['smtp'])], onDeviceCode: fx.approveAs(BOB) });
});
afterAll(async () => {
  await servers?.stop();
  await fx?.close();
});

/** A plaintext POP3 connection as lines, after its greeting. */
async function pop3Lines(port: number): Promise<Pop3LineIo & { socket: Socket }> {
  const socket = netConnect(port, '127.0.0.1');
  const io = socketLines(socket);
  expect(await io.readLine()).toMatch(/^\+OK/);
  return { ...io, socket };
}

describe('IMAP (imapflow accessToken, Dovecot oauth2 passdb)', () => {
  const imapService = (accessToken: AccessTokenProvider, user = ALICE) =>
    createImapService(
      {
        ...imapDefaults(),
        id: 'alice',
        server: `imap://127.0.0.1:${servers.ports.imap}`,
        user,
        accessToken,
        tlsCa: servers.caFile,
      },
      { handled: { isHandled: () => false } },
    );

  it('logs in with the token of the IMAP scope', async () => {
    const session = await imapService(broker.tokenProvider(fx.mailbox('alice', ALICE), 'imap')).connect(
      new AbortController().signal,
    );
    await session.close();
  });

  it('is refused with a token that lacks IMAP.AccessAsUser.All (Bob consented to SMTP only)', async () => {
    const smtpOnly = broker.tokenProvider(fx.mailbox('bob', BOB), 'smtp');
    await expect(imapService(smtpOnly, BOB).connect(new AbortController().signal)).rejects.toMatchObject({
      code: 'AUTH_FAILED',
      retryable: false,
    });
  });
});

describe('POP3 AUTH XOAUTH2 (pop3AuthXOAuth2 against Dovecot)', () => {
  it('authenticates with a token longer than the 255-octet AUTH line (response after the empty challenge)', async () => {
    const token = await broker.tokenProvider(fx.mailbox('alice', ALICE), 'pop')();
    expect(token.length).toBeGreaterThan(255);
    const io = await pop3Lines(servers.ports.pop3);
    try {
      const result = await pop3AuthXOAuth2(io, ALICE, token);
      expect(result).toMatchObject({ ok: true });
      io.send('STAT');
      expect(await io.readLine()).toMatch(/^\+OK \d+ \d+$/);
    } finally {
      io.socket.destroy();
    }
  });

  it('answers the error challenge with an empty line and reports the final -ERR with the server JSON', async () => {
    const smtpOnly = await broker.tokenProvider(fx.mailbox('bob', BOB), 'smtp')();
    const io = await pop3Lines(servers.ports.pop3);
    try {
      const result = await pop3AuthXOAuth2(io, BOB, smtpOnly);
      expect(result).toMatchObject({ ok: false, error: { status: '401', schemes: 'bearer' } });
      expect(result.reply).toMatch(/^-ERR/);
      // The session is still in the AUTHORIZATION state: not logged in.
      io.send('STAT');
      expect(await io.readLine()).toMatch(/^-ERR/);
    } finally {
      io.socket.destroy();
    }
  });
});

describe('POP3 adapter AUTH XOAUTH2 (createPop3Service with accessToken: the authXOAuth2 command)', () => {
  const pop3Service = (accessToken: AccessTokenProvider, user: string) =>
    createPop3Service(
      {
        ...pop3Defaults(),
        id: 'pop3-oauth',
        server: `pop3s://127.0.0.1:${servers.ports.pop3s}`,
        user,
        accessToken,
        tlsCa: servers.caFile,
      },
      { handled: { isHandled: () => false } },
    );

  it('logs in over POP3S with a token longer than the 255-octet AUTH line', async () => {
    const provider = broker.tokenProvider(fx.mailbox('alice', ALICE), 'pop');
    expect((await provider()).length).toBeGreaterThan(255);
    const session = await pop3Service(provider, ALICE).connect(new AbortController().signal);
    await session.close();
  });

  it('regression (NOTES.md: node-pop3 took any + line for success): a token without the POP scope is AUTH_FAILED', async () => {
    const smtpOnly = broker.tokenProvider(fx.mailbox('bob', BOB), 'smtp');
    await expect(pop3Service(smtpOnly, BOB).connect(new AbortController().signal)).rejects.toMatchObject({
      code: 'AUTH_FAILED',
      retryable: false,
      mailboxId: 'pop3-oauth',
    });
  });
});

describe('SMTP XOAUTH2 (nodemailer OAuth2 through adapters/smtp)', () => {
  const transport = (accessToken: AccessTokenProvider, user = ALICE) =>
    createSmtpTransport(
      { ...smtpDefaults(), server: `smtp://127.0.0.1:${servers.ports.smtp}`, user, accessToken, tlsCa: servers.caFile },
      'alice',
    );

  it('sends with the token of the SMTP scope', async () => {
    const before = servers.smtpReceived.length;
    await transport(broker.tokenProvider(fx.mailbox('alice', ALICE), 'smtp')).send({
      from: ALICE,
      to: BOB,
      subject: 'xoauth2 send',
      text: 'hello',
    });
    expect(servers.smtpReceived.slice(before)).toMatchObject([{ authUser: ALICE, rcptTo: [BOB] }]);
  });

  it('regression (NOTES.md: nodemailer resent the same token after a 535): renews the token once and sends', async () => {
    const real = broker.tokenProvider(fx.mailbox('alice', ALICE), 'smtp');
    const calls: (boolean | undefined)[] = [];
    // The first token is one the server no longer accepts (signed with a key nobody knows).
    const stale = `${(await real()).split('.').slice(0, 2).join('.')}.AAAA`;
    const provider: AccessTokenProvider = async (options) => {
      calls.push(options?.forceRefresh);
      return options?.forceRefresh ? real(options) : stale;
    };
    const before = servers.smtpReceived.length;

    await transport(provider).send({ from: ALICE, to: BOB, subject: 'after 535', text: 'renewed' });

    expect(calls).toEqual([undefined, true]);
    expect(servers.smtpReceived.slice(before)).toHaveLength(1);
  });

  it('a renewal that needs a person fails the send with OAUTH_LOGIN_REQUIRED, not a generic auth error', async () => {
    const provider: AccessTokenProvider = async (options) => {
      if (!options?.forceRefresh) return 'not-a-valid-token';
      return broker.tokenProvider(fx.mailbox('nobody', 'carol@example.test'), 'smtp')(options);
    };
    await expect(transport(provider).send({ from: ALICE, to: BOB, subject: 'x', text: 'x' })).rejects.toMatchObject({
      code: 'OAUTH_LOGIN_REQUIRED',
      mailboxId: 'nobody',
    });
  });
});

describe('app-only access (client credentials)', () => {
  it('gets one token for the Exchange resource with a client secret, and sends mail with it', async () => {
    const clientId = randomUUID();
    fx.idp.registerApp({
      clientId,
      name: 'daemon',
      secret: 'a secret value',
      appPermissions: ['SMTP.SendAsApp', 'IMAP.AccessAsApp'],
    });
    const mailbox = {
      id: 'daemon',
      user: ALICE,
      oauth2: { tenant: fx.idp.tenantId, clientId, clientSecret: 'a secret value' },
    };
    const results = await broker.login({ mailboxes: [mailbox], protocols: ['smtp'] });
    expect(results).toMatchObject([{ outcome: 'skipped' }]);
    expect(results[0]?.reason).toMatch(/app-only access/);

    const token = await broker.tokenProvider(mailbox, 'smtp')();
    expect(fx.idp.verifyAccessToken(token)).toMatchObject({
      aud: 'https://outlook.office365.com',
      roles: ['SMTP.SendAsApp', 'IMAP.AccessAsApp'],
    });
    const before = servers.smtpReceived.length;
    await createSmtpTransport(
      {
        ...smtpDefaults(),
        server: `smtp://127.0.0.1:${servers.ports.smtp}`,
        user: ALICE,
        accessToken: broker.tokenProvider(mailbox, 'smtp'),
        tlsCa: servers.caFile,
      },
      'daemon',
    ).send({ from: ALICE, to: BOB, subject: 'app-only', text: 'x' });
    expect(servers.smtpReceived.slice(before)).toHaveLength(1);
  });

  it('signs a client assertion with a certificate (SHA-256 thumbprint) the identity provider verifies', async () => {
    const key = join(fx.dir, 'app-key.pem');
    const cert = join(fx.dir, 'app-cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=mail-autopilot-test',
      ],
      { stdio: 'ignore' },
    );
    const pem = readFileSync(cert, 'utf8');
    const clientId = randomUUID();
    fx.idp.registerApp({ clientId, certificatePem: pem, appPermissions: ['POP.AccessAsApp'] });
    const thumbprint = new X509Certificate(pem).fingerprint256.replace(/:/g, '');
    const mailbox = {
      id: 'daemon-cert',
      user: ALICE,
      oauth2: { tenant: fx.idp.tenantId, clientId, certificate: { thumbprint, privateKeyFile: key } },
    };
    const token = await broker.tokenProvider(mailbox, 'pop')();
    expect(fx.idp.verifyAccessToken(token)).toMatchObject({ appid: clientId, roles: ['POP.AccessAsApp'] });
  });

  it('a wrong client secret is OAUTH_CLIENT_REJECTED (not retryable)', async () => {
    const clientId = randomUUID();
    fx.idp.registerApp({ clientId, secret: 'right' });
    const mailbox = { id: 'wrong', user: ALICE, oauth2: { tenant: fx.idp.tenantId, clientId, clientSecret: 'wrong' } };
    await expect(broker.tokenProvider(mailbox, 'imap')()).rejects.toMatchObject({
      code: 'OAUTH_CLIENT_REJECTED',
      retryable: false,
    });
  });
});
