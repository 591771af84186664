/**
 * `startMailServers`: real mail servers on loopback for integration tests and benches — Dovecot 2.3 (IMAP, IMAPS,
 * POP3, POP3S, LMTP) with a per-run CA, and an SMTP server that relays into Dovecot. See docs/testing.md and
 * scripts/harness/types.ts for the API; NOTES.md for the measured facts behind each setting.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { makeCertificates } from './certificates.js';
import { renderDovecotConfig, renderDovecotOAuth2Args } from './dovecot-config.js';
import { type DovecotProcess, startDovecotProcess } from './dovecot-process.js';
import { freePorts } from './free-ports.js';
import { createLmtpDelivery, type LmtpDelivery } from './lmtp.js';
import { ensureMaildir, writeMaildirMessages } from './maildir.js';
import { buildMessage } from './message.js';
import { declareTestNeed } from './needs.js';
import { forgetDirectory, removeDirectoryOnExit } from './reaper.js';
import { type SmtpRelay, startSmtpRelay } from './smtp-relay.js';
import type { DovecotOAuth2Options, MailServers, MailServersOptions, ReceivedSmtpMessage, TestUser } from './types.js';

// Issue 13.12: a test file that starts mail servers is skipped, with the reason, where Dovecot cannot be had.
declareTestNeed('dovecot');

export type {
  DovecotOAuth2Options,
  MailServers,
  MailServersOptions,
  ReceivedSmtpMessage,
  TestMessage,
  TestUser,
} from './types.js';

/** The domain of users given by local part only. */
const DEFAULT_DOMAIN = 'example.test';
const BASE_UID = 2000;
const GID = 2000;

function addressOf(name: string): string {
  return (name.includes('@') ? name : `${name}@${DEFAULT_DOMAIN}`).toLowerCase();
}

function userNames(users: MailServersOptions['users']): string[] {
  const spec = users ?? 2;
  const names = typeof spec === 'number' ? Array.from({ length: spec }, (_, i) => `user${i + 1}`) : [...spec];
  const addresses = names.map(addressOf);
  if (new Set(addresses).size !== addresses.length) throw new Error(`duplicate harness users: ${names.join(', ')}`);
  if (addresses.length === 0) throw new Error('the harness needs at least one user');
  return addresses;
}

/**
 * Files the HS256 key where Dovecot's `fs:posix` key dict finds it (`<keys>/default/HS256/<kid>`, base64) and writes
 * one passdb args file per protocol. Dovecot's auth process runs unprivileged: everything must be readable by it.
 */
async function writeDovecotOAuth2(
  dir: string,
  options: DovecotOAuth2Options,
): Promise<{ imapArgsFile: string; pop3ArgsFile: string }> {
  if (!/^[A-Za-z0-9_-]+$/.test(options.keyId)) {
    throw new Error(`harness oauth2.keyId must be letters, digits, "_" or "-", got ${JSON.stringify(options.keyId)}`);
  }
  const keyDir = join(dir, 'oauth2-keys');
  const algDir = join(keyDir, 'default', 'HS256');
  await mkdir(algDir, { recursive: true, mode: 0o755 });
  for (const d of [keyDir, join(keyDir, 'default'), algDir]) await chmod(d, 0o755);
  const key = typeof options.hmacKey === 'string' ? Buffer.from(options.hmacKey, 'utf8') : options.hmacKey;
  await writeFile(join(algDir, options.keyId), key.toString('base64'), { mode: 0o644 });
  const files = { imapArgsFile: join(dir, 'oauth2-imap.conf.ext'), pop3ArgsFile: join(dir, 'oauth2-pop3.conf.ext') };
  for (const [protocol, file] of [
    ['imap', files.imapArgsFile],
    ['pop3', files.pop3ArgsFile],
  ] as const) {
    const scope = options.scopes?.[protocol];
    await writeFile(
      file,
      renderDovecotOAuth2Args({
        keyDir,
        usernameAttribute: options.usernameAttribute ?? 'upn',
        ...(scope === undefined ? {} : { scope }),
        ...(options.issuers === undefined ? {} : { issuers: options.issuers }),
      }),
      { mode: 0o644 },
    );
  }
  return files;
}

/**
 * Starts Dovecot (and, unless `smtp: false`, the SMTP relay) on free 127.0.0.1 ports with fresh users, Maildirs
 * and certificates; resolves when Dovecot serves its IMAP greeting. Call `stop()` in `afterAll` (it is idempotent;
 * an `exit` handler and the Dovecot launcher clean up if a run dies without it).
 *
 * Users: `user1@example.test`… (or the names given; a bare local part gets `@example.test`), password
 * `secret-<local part>`, uid 2000 (or 2000, 2001, … with `distinctUids`).
 *
 * @example
 * ```ts
 * let servers: MailServers;
 * beforeAll(async () => { servers = await startMailServers({ users: ['alice', 'bob'] }); });
 * afterAll(() => servers?.stop());
 * it('sees delivered mail', async () => {
 *   await servers.deliver('alice', { subject: 'Hello' });
 * });
 * ```
 */
export async function startMailServers(options: MailServersOptions = {}): Promise<MailServers> {
  const addresses = userNames(options.users);
  const withSmtp = options.smtp ?? true;
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'mailtest-'));
  removeDirectoryOnExit(dir);
  // mkdtemp makes 0700; Dovecot's unprivileged processes must traverse it (NOTES.md).
  await chmod(dir, 0o755);

  let dovecot: DovecotProcess | null = null;
  let lmtp: LmtpDelivery | null = null;
  let relay: SmtpRelay | null = null;
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await relay?.close();
      lmtp?.close();
      await dovecot?.stop();
      dovecot = null;
      await rm(dir, { recursive: true, force: true });
      forgetDirectory(dir);
    })();
    return stopping;
  };

  try {
    const ownUid = process.getuid?.() ?? BASE_UID;
    const ownGid = process.getgid?.() ?? GID;
    const users: TestUser[] = addresses.map((user, i) => {
      const local = user.slice(0, user.indexOf('@'));
      const uid = asRoot ? BASE_UID + (options.distinctUids ? i : 0) : ownUid;
      return { user, password: `secret-${local}`, uid, maildir: join(dir, 'home', user, 'Maildir') };
    });
    const gid = asRoot ? GID : ownGid;

    const [certs, portList] = await Promise.all([makeCertificates(dir), freePorts(withSmtp ? 7 : 5)]);
    const [imap, imaps, pop3, pop3s, lmtpPort, smtp = 0, smtps = 0] = portList as [
      number,
      number,
      number,
      number,
      number,
      number?,
      number?,
    ];
    const ports = { imap, imaps, pop3, pop3s, lmtp: lmtpPort, smtp, smtps };

    await mkdir(join(dir, 'home'), { mode: 0o755 });
    for (const user of users) {
      const home = join(dir, 'home', user.user);
      await mkdir(home, { mode: 0o700 });
      if (asRoot) await chown(home, user.uid, gid);
      await ensureMaildir(user.maildir, undefined, user.uid, gid);
    }
    const usersFile = join(dir, 'users');
    await writeFile(
      usersFile,
      users.map((u) => `${u.user}:${u.password}:${u.uid}:${gid}::${join(dir, 'home', u.user)}::\n`).join(''),
      { mode: 0o644 },
    );
    const oauth2 = options.oauth2 === undefined ? undefined : await writeDovecotOAuth2(dir, options.oauth2);
    // Certificates are read by the master (root) at start; keys stay 0600.
    const configFile = join(dir, 'dovecot.conf');
    const dovecotLog = join(dir, 'dovecot.log');
    const me = userInfo().username;
    await writeFile(
      configFile,
      renderDovecotConfig({
        dir,
        instanceName: `mailtest-${basename(dir)}`,
        usersFile,
        certFile: certs.certFile,
        keyFile: certs.keyFile,
        ports,
        ...(oauth2 === undefined ? {} : { oauth2 }),
        firstValidUid: Math.min(...users.map((u) => u.uid)),
        internalUser: asRoot ? 'dovecot' : me,
        loginUser: asRoot ? 'dovenull' : me,
        // Without root Dovecot cannot chown its sockets to the `dovecot` group: use our own.
        ...(asRoot ? {} : { internalGroup: execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim(), noChroot: true }),
      }),
      { mode: 0o644 },
    );
    const launch = () => startDovecotProcess({ configFile, runDir: dir, imapPort: imap, logFile: dovecotLog });
    dovecot = await launch();
    lmtp = createLmtpDelivery(lmtpPort);

    const smtpReceived: ReceivedSmtpMessage[] = [];
    if (withSmtp) {
      relay = await startSmtpRelay({
        port: smtp,
        securePort: smtps,
        certFile: certs.certFile,
        keyFile: certs.keyFile,
        users,
        lmtp,
        received: smtpReceived,
        localDomains: [...new Set(users.map((u) => u.user.slice(u.user.indexOf('@') + 1)))],
        ...(options.smtpOAuth ? { oauth: options.smtpOAuth } : {}),
      });
    }

    const user = (name: string): TestUser => {
      const found = users.find((u) => u.user === addressOf(name));
      if (found === undefined) throw new Error(`no harness user ${name} (have ${users.map((u) => u.user).join(', ')})`);
      return found;
    };
    const delivery = lmtp;

    return {
      host: '127.0.0.1',
      ports,
      caFile: certs.caFile,
      wrongCaFile: certs.wrongCaFile,
      users,
      dir,
      dovecotLog,
      smtpReceived,
      user,
      async deliver(to, message, deliverOptions) {
        const target = user(to);
        const folder = deliverOptions?.folder;
        const at = target.user.indexOf('@');
        // "user+Folder@domain" lands in Folder (lmtp_save_to_detail_mailbox, created on demand).
        const rcpt =
          folder === undefined || folder.toUpperCase() === 'INBOX'
            ? target.user
            : `${target.user.slice(0, at)}+${folder}${target.user.slice(at)}`;
        await delivery.deliver('sender@example.test', [rcpt], buildMessage(message, target.user));
      },
      async fill(to, messages, fillOptions) {
        const target = user(to);
        const folderDir = await ensureMaildir(target.maildir, fillOptions?.folder, target.uid, gid);
        const raws = messages.map((m) => buildMessage(m, target.user));
        await writeMaildirMessages(folderDir, raws, { seen: fillOptions?.seen ?? false, uid: target.uid, gid });
      },
      async stopDovecot() {
        await dovecot?.stop();
        dovecot = null;
      },
      async startDovecot() {
        if (stopping !== null) throw new Error('the harness was stopped');
        dovecot ??= await launch();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
