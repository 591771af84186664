/**
 * Server addresses of mailboxes (SPEC S3, S7): a host name, an IP address (IPv6 bare or in brackets), `host:port`,
 * or a URL whose scheme says implicit TLS (`imaps://`, `pop3s://`, `smtps://`) or STARTTLS (`imap://`, `pop3://`,
 * `smtp://`). Shared by the IMAP, POP3 and SMTP adapters so every service reads addresses the same way.
 *
 * @module
 */

/**
 * How a connection is secured: `implicit` TLS from the first byte; `starttls` required (the connection fails if
 * the server does not offer it); `none-allowed`: the configuration explicitly allows plaintext (`allowPlaintext`),
 * so the adapter does not require TLS.
 */
export type ServerTlsMode = 'implicit' | 'starttls' | 'none-allowed';

/**
 * Where to connect and how.
 *
 * @example
 * ```ts
 * const address: ServerAddress = { host: 'smtp.example.test', port: 465, tls: 'implicit' };
 * ```
 */
export interface ServerAddress {
  /** Host name or IP address; IPv6 without brackets (as `net.connect` wants it). */
  readonly host: string;
  readonly port: number;
  readonly tls: ServerTlsMode;
}

/**
 * How one service reads addresses.
 *
 * @example
 * ```ts
 * const smtp: ServerAddressOptions = {
 *   defaultPortTls: 465, defaultPortPlain: 587, schemes: { implicit: 'smtps', starttls: 'smtp' }, starttlsPorts: [587, 25],
 * };
 * ```
 */
export interface ServerAddressOptions {
  /** Port of the implicit-TLS scheme and of a bare host: 993, 995, 465. */
  readonly defaultPortTls: number;
  /** Port of the STARTTLS scheme: 143, 110, 587. */
  readonly defaultPortPlain: number;
  readonly schemes: { readonly implicit: string; readonly starttls: string };
  /** Ports that mean STARTTLS when given without a scheme (`host:587`). Default: `[defaultPortPlain]`. */
  readonly starttlsPorts?: readonly number[];
  /** The configuration allows plaintext: a STARTTLS address becomes `none-allowed`. Never implied. */
  readonly allowPlaintext?: boolean;
}

/**
 * Parses a server value. A bare host means implicit TLS on `defaultPortTls` (the secure default); a bare
 * `host:port` is STARTTLS when the port is one of `starttlsPorts`, implicit TLS otherwise. Throws a `TypeError`
 * whose message says what is wrong (the caller adds the mailbox and the field); credentials, paths and queries in
 * the value are refused.
 *
 * @example
 * ```ts
 * const smtp = { defaultPortTls: 465, defaultPortPlain: 587, schemes: { implicit: 'smtps', starttls: 'smtp' } };
 * parseServerAddress('smtp://127.0.0.1:2525', smtp); // { host: '127.0.0.1', port: 2525, tls: 'starttls' }
 * parseServerAddress('mail.example.test', smtp);     // { host: 'mail.example.test', port: 465, tls: 'implicit' }
 * parseServerAddress('[::1]:587', smtp);             // { host: '::1', port: 587, tls: 'starttls' }
 * ```
 */
export function parseServerAddress(value: string, options: ServerAddressOptions): ServerAddress {
  const { implicit, starttls } = options.schemes;
  // Never echo credentials someone wrote into the URL (scheme://user:password@host).
  const shown = JSON.stringify(value.replace(/(\/\/)[^/@]*@/, '$1***@'));
  const trimmed = value.trim();
  if (trimmed.length === 0) throw new TypeError('server is empty');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== implicit && scheme !== starttls) {
    throw new TypeError(`server ${shown}: the scheme must be ${implicit}:// or ${starttls}://`);
  }
  if (scheme === undefined && /[/?#@]/.test(trimmed)) {
    throw new TypeError(`server ${shown} is not a host name, IP address or ${implicit}:// / ${starttls}:// URL`);
  }
  // A bare IPv6 literal (two colons or more, no brackets) gets brackets so the URL parser reads no port from it.
  const bare = scheme === undefined ? (/^[^[\]]*:[^[\]]*:/.test(trimmed) ? `[${trimmed}]` : trimmed) : undefined;
  let url: URL;
  try {
    // A scheme the WHATWG parser treats as "special" would normalise differently; `x-server:` is opaque-safe.
    url = new URL(bare === undefined ? trimmed.replace(/^[^:]+:/, 'x-server:') : `x-server://${bare}`);
  } catch {
    throw new TypeError(`server ${shown} is not a host name, IP address or ${implicit}:// / ${starttls}:// URL`);
  }
  if (url.username || url.password) {
    throw new TypeError(`server must not contain credentials (use the user and password fields)`);
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
    throw new TypeError(`server ${shown} has a path or query; give only scheme, host and port`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host.length === 0) throw new TypeError(`server ${shown} has no host`);
  const port = url.port === '' ? undefined : Number(url.port);
  if (port === 0) throw new TypeError(`server ${shown}: port 0 is not a port`);

  const required = (tls: 'implicit' | 'starttls'): ServerTlsMode =>
    tls === 'starttls' && options.allowPlaintext === true ? 'none-allowed' : tls;
  if (scheme === starttls) return { host, port: port ?? options.defaultPortPlain, tls: required('starttls') };
  if (scheme === implicit) return { host, port: port ?? options.defaultPortTls, tls: 'implicit' };
  const starttlsPorts = options.starttlsPorts ?? [options.defaultPortPlain];
  if (port !== undefined && starttlsPorts.includes(port)) return { host, port, tls: required('starttls') };
  return { host, port: port ?? options.defaultPortTls, tls: 'implicit' };
}
