/**
 * Opening the sockets of a POP3 transport: TCP, implicit TLS, and the TLS upgrade after STLS (RFC 2595), with
 * certificate verification always on (SPEC S7). Kept apart from {@link Pop3Transport} so that the transport is only
 * about sequencing commands over whatever socket it has.
 *
 * @module
 */
import net from 'node:net';
import tls from 'node:tls';
import { secureContextTrusting } from '../tls-context.js';

/**
 * How the connection is secured: implicit TLS (POP3S), STLS required, or plaintext (only where the config allows it).
 *
 * @example
 * ```ts
 * const security: Pop3Security = address.tls === 'implicit' ? 'implicit' : 'starttls';
 * ```
 */
export type Pop3Security = 'implicit' | 'starttls' | 'plaintext';

/**
 * Where to connect and what to trust.
 *
 * @example
 * ```ts
 * const endpoint: Pop3Endpoint = { host: 'mail.example.test', port: 995, security: 'implicit', ca: caPem };
 * ```
 */
export interface Pop3Endpoint {
  readonly host: string;
  readonly port: number;
  readonly security: Pop3Security;
  /** PEM of a CA trusted in addition to Node's root CAs (self-signed company servers). */
  readonly ca?: string | Buffer;
}

/**
 * TLS options for `endpoint`, over `socket` when upgrading one. Verification is never switched off (S7): the CA
 * option is how self-signed servers work.
 *
 * @example
 * ```ts
 * const secure = tls.connect(tlsOptions(endpoint, plainSocket));
 * ```
 */
export function tlsOptions(endpoint: Pop3Endpoint, socket?: net.Socket): tls.ConnectionOptions {
  const { host, port, ca } = endpoint;
  return {
    host,
    port,
    ...(socket ? { socket } : {}),
    // SNI takes host names only; an IP address is still checked against the certificate's IP SANs.
    ...(net.isIP(host) === 0 ? { servername: host } : {}),
    ...(ca ? { secureContext: secureContextTrusting(ca.toString()) } : {}),
    rejectUnauthorized: true,
  };
}

/**
 * Starts a TCP connection, wrapped in TLS for implicit TLS. Returns the socket and the event that says it is ready
 * (`secureConnect` only after the certificate verified).
 *
 * @example
 * ```ts
 * const { socket, ready } = openSocket(endpoint);
 * await whenReady(socket, ready, signal);
 * ```
 */
export function openSocket(endpoint: Pop3Endpoint): { socket: net.Socket; ready: 'connect' | 'secureConnect' } {
  if (endpoint.security === 'implicit') return { socket: tls.connect(tlsOptions(endpoint)), ready: 'secureConnect' };
  return { socket: net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true }), ready: 'connect' };
}

/**
 * Resolves on `readyEvent`; rejects with the socket's error, or with what `abort` is called with. The socket is
 * destroyed when it fails.
 *
 * @example
 * ```ts
 * const waiting = whenReady(socket, 'secureConnect');
 * transportAbort = waiting.abort;
 * await waiting.ready;
 * ```
 */
export function whenReady(
  socket: net.Socket,
  readyEvent: 'connect' | 'secureConnect',
): { readonly ready: Promise<void>; readonly abort: (error: Error) => void } {
  let abort!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      socket.off(readyEvent, onReady);
      socket.off('error', onError);
    };
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    abort = onError;
    socket.once(readyEvent, onReady);
    socket.once('error', onError);
  });
  return { ready, abort };
}

/**
 * Ends `socket` gracefully (after QUIT the server closes), destroying it should the server not close within
 * `lingerMs`; it keeps neither the process alive nor an error unheard.
 *
 * @example
 * ```ts
 * closeGracefully(socket, 2_000);
 * ```
 */
export function closeGracefully(socket: net.Socket, lingerMs: number): void {
  socket.on('error', () => {});
  socket.end();
  const linger = setTimeout(() => socket.destroy(), lingerMs);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
  socket.unref();
}
