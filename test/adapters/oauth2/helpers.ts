/**
 * Shared set-up of the OAuth2 tests: a local identity provider with an app registration, a private temporary
 * directory for the token cache, mailboxes, and a device-code "person" that signs in when shown a code.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DeviceCodePrompt, LoginMailbox, OAuth2Protocol, Pop3LineIo } from '../../../adapters/oauth2/index.js';
import { type IdentityProvider, startIdentityProvider } from '../../../scripts/harness/identity-provider.js';

/**
 * The signing key the identity provider and (where used) Dovecot share.
 *
 * @example
 * ```ts
 * await startMailServers({ oauth2: { ...fx.key } });
 * ```
 */
export interface OAuth2TestKey {
  readonly keyId: string;
  readonly hmacKey: Buffer;
}

/**
 * A fresh HS256 key.
 *
 * @example
 * ```ts
 * const key = newSigningKey();
 * ```
 */
export function newSigningKey(): OAuth2TestKey {
  return { keyId: `k${randomBytes(4).toString('hex')}`, hmacKey: randomBytes(32) };
}

/**
 * A running identity provider with one public-client app registration, and a temp dir for token caches.
 *
 * @example
 * ```ts
 * const broker = createOAuth2Broker({ tokenCache: fx.cachePath('t'), networkClient: fx.idp.networkClient() });
 * ```
 */
export interface OAuth2Fixture {
  readonly idp: IdentityProvider;
  readonly clientId: string;
  readonly dir: string;
  readonly key: OAuth2TestKey;
  /** A token cache path of its own for one test. */
  cachePath(name: string): string;
  /** A mailbox signing in as `user` through the fixture's app and tenant. */
  mailbox(id: string, user: string, protocols?: readonly OAuth2Protocol[]): LoginMailbox;
  /** A device-code callback that approves at once as `user` (a person at https://microsoft.com/devicelogin). */
  approveAs(user: string, seen?: DeviceCodePrompt[]): (prompt: DeviceCodePrompt) => void;
  close(): Promise<void>;
}

/**
 * Starts the identity provider for `users` (addresses at example.test) and registers the mail-autopilot app.
 *
 * @example
 * ```ts
 * const fx = await startOAuth2Fixture(['alice@example.test']);
 * afterAll(() => fx.close());
 * ```
 */
export async function startOAuth2Fixture(
  users: readonly string[],
  options: { key?: OAuth2TestKey; deviceCodeIntervalSeconds?: number } = {},
): Promise<OAuth2Fixture> {
  const key = options.key ?? newSigningKey();
  const idp = await startIdentityProvider({
    users,
    signing: key,
    deviceCodeIntervalSeconds: options.deviceCodeIntervalSeconds ?? 1,
  });
  const clientId = randomUUID();
  idp.registerApp({ clientId, name: 'mail-autopilot test', publicClient: true });
  const dir = await mkdtemp(join(tmpdir(), 'oauth2-test-'));
  return {
    idp,
    clientId,
    dir,
    key,
    cachePath: (name) => join(dir, name, 'tokens.json'),
    mailbox: (id, user, protocols) => ({
      id,
      user,
      oauth2: { tenant: idp.tenantId, clientId },
      ...(protocols !== undefined ? { protocols } : {}),
    }),
    approveAs: (user, seen) => (prompt) => {
      seen?.push(prompt);
      idp.approveDeviceCode(prompt.userCode, user);
    },
    async close() {
      await idp.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Lines of a socket (CRLF-terminated, latin1) as a {@link Pop3LineIo}: `send` writes one line, `readLine` resolves
 * to the next line received (rejecting when the socket closes first).
 *
 * @example
 * ```ts
 * const io = socketLines(netConnect(port, '127.0.0.1'));
 * console.log(await io.readLine()); // the greeting
 * ```
 */
export function socketLines(socket: Socket): Pop3LineIo & { readonly sent: string[] } {
  let buffer = '';
  const lines: string[] = [];
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  let closed = false;
  const sent: string[] = [];
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let at = buffer.indexOf('\r\n'); at >= 0; at = buffer.indexOf('\r\n')) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const waiter = waiting.shift();
      if (waiter) waiter.resolve(line);
      else lines.push(line);
    }
  });
  socket.on('close', () => {
    closed = true;
    for (const waiter of waiting.splice(0)) waiter.reject(new Error('connection closed'));
  });
  socket.on('error', () => undefined);
  return {
    sent,
    send(line) {
      sent.push(line);
      socket.write(`${line}\r\n`);
    },
    readLine() {
      return new Promise<string>((resolve, reject) => {
        const line = lines.shift();
        if (line !== undefined) return resolve(line);
        if (closed) return reject(new Error('connection closed'));
        waiting.push({ resolve, reject });
      });
    },
  };
}

/**
 * Runs `fixtures/<name>.ts` in a separate Node process (through tsx) with `env` added, and resolves to its stdout:
 * a second process of the installation, sharing only files with this one.
 *
 * @example
 * ```ts
 * const out = await runFixture('acquire-token', { TOKEN_CACHE: path, IDP_URL: idp.url, MAILBOX: '{}', PROTOCOL: 'imap' });
 * ```
 */
export async function runFixture(name: string, env: Readonly<Record<string, string>>): Promise<string> {
  const script = fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return stdout;
}

/**
 * What fixtures/acquire-token.ts printed.
 *
 * @example
 * ```ts
 * const child: ChildToken = { ok: false, code: 'OAUTH_LOGIN_REQUIRED' };
 * ```
 */
export interface ChildToken {
  readonly ok: boolean;
  readonly accessToken?: string;
  readonly fromCache?: boolean;
  readonly code?: string;
  readonly message?: string;
}

/**
 * Takes a token in a second process (fixtures/acquire-token.ts) from the cache at `cachePath`.
 *
 * @example
 * ```ts
 * const child = await acquireInChildProcess(fx, path, mailbox, 'imap');
 * expect(child).toMatchObject({ ok: true, fromCache: true });
 * ```
 */
export async function acquireInChildProcess(
  fx: OAuth2Fixture,
  cachePath: string,
  mailbox: object,
  protocol: OAuth2Protocol,
  options: { forceRefresh?: boolean } = {},
): Promise<ChildToken> {
  const stdout = await runFixture('acquire-token', {
    TOKEN_CACHE: cachePath,
    IDP_URL: fx.idp.url,
    MAILBOX: JSON.stringify(mailbox),
    PROTOCOL: protocol,
    FORCE_REFRESH: options.forceRefresh ? '1' : '0',
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ChildToken;
}
