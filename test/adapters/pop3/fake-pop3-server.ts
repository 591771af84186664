/**
 * A tiny scripted POP3 server for the framing tests: it writes exactly the bytes a test asks for (a terminator
 * split across two TLS records, dot-stuffed lines, a missing UIDL, a SASL continuation) — what a real Dovecot does
 * only by chance. Everything else is covered on Dovecot itself (`pop3.int.test.ts`). Loopback only.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';

/** One client connection as a handler sees it. */
export interface FakeConnection {
  /** Writes bytes as given (no conversion); resolves when they were handed to the kernel. */
  write(bytes: string | Buffer): Promise<void>;
  /** The socket (plain or TLS, after STLS the TLS one). */
  readonly socket: Socket;
}

/** Overrides for one command: return true when handled. */
export type FakeHandler = (command: string, args: string[], connection: FakeConnection) => Promise<boolean> | boolean;

/** Options of {@link startFakePop3}. */
export interface FakePop3Options {
  /** Messages of the maildrop, in message-number order (each should end with CRLF). */
  readonly messages?: Buffer[];
  /** UIDs (default `uid-<n>`); `null` makes UIDL answer `-ERR` (a server without UIDL). */
  readonly uids?: string[] | null;
  readonly password?: string;
  /** TLS material: implicit TLS with it, or (with `stls`) a plaintext port that offers STLS with it. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly stls?: boolean;
  /** The greeting line; `null` sends none (a server that accepts but never speaks). */
  readonly greeting?: string | null;
  /** A server without TOP (optional in RFC 1939): TOP answers -ERR and CAPA does not list it. */
  readonly noTop?: boolean;
  /** Extra handlers tried before the built-in ones. */
  readonly handle?: FakeHandler;
}

/** A running fake server. */
export interface FakePop3Server {
  readonly port: number;
  /** Every command line received, PASS arguments included (tests only). */
  readonly commands: string[];
  /** Messages that are still in the maildrop (DELE committed by QUIT removes them). */
  readonly messages: Buffer[];
  readonly uids: string[] | null;
  close(): Promise<void>;
}

/**
 * The wire form of a multi-line body (RFC 1939 §3): lines starting with `.` get another `.`, then `.CRLF`.
 *
 * @example
 * ```ts
 * stuffed(Buffer.from('.hidden\r\n')).toString(); // '..hidden\r\n.\r\n'
 * ```
 */
export function stuffed(body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/(^|\n)\./g, '$1..');
  const withEnd = text.length === 0 || text.endsWith('\r\n') ? text : `${text}\r\n`;
  return Buffer.from(`${withEnd}.\r\n`, 'latin1');
}

/**
 * Starts the fake on 127.0.0.1 on a free port.
 *
 * @example
 * ```ts
 * const server = await startFakePop3({ messages: [Buffer.from('Subject: a\r\n\r\nx\r\n')] });
 * ```
 */
export async function startFakePop3(options: FakePop3Options = {}): Promise<FakePop3Server> {
  const messages = [...(options.messages ?? [])];
  const uids = options.uids === null ? null : (options.uids ?? messages.map((_, i) => `uid-${i + 1}`));
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const credentials = options.tls
    ? { cert: await readFile(options.tls.certFile), key: await readFile(options.tls.keyFile) }
    : undefined;

  const serve = (initial: Socket) => {
    let socket = initial;
    socket.setNoDelay(true);
    sockets.add(socket);
    const deleted = new Set<number>();
    let buffered = '';
    let busy = Promise.resolve();
    const connection: FakeConnection = {
      write: (bytes) =>
        new Promise<void>((resolve) => {
          if (socket.destroyed) return resolve();
          socket.write(bytes, () => resolve());
        }),
      get socket() {
        return socket;
      },
    };
    const live = () => messages.map((m, i) => ({ n: i + 1, m })).filter(({ n }) => !deleted.has(n));
    const reply = (text: string) => connection.write(`${text}\r\n`);

    const handleLine = async (line: string) => {
      commands.push(line);
      const [rawName = '', ...args] = line.split(' ');
      const name = rawName.toUpperCase();
      if (options.handle && (await options.handle(name, args, connection))) return;
      const n = Number(args[0]);
      const exists = Number.isInteger(n) && n >= 1 && n <= messages.length && !deleted.has(n);
      switch (name) {
        case 'CAPA': {
          const caps = [
            'USER',
            'RESP-CODES',
            'PIPELINING',
            ...(uids ? ['UIDL'] : []),
            ...(options.noTop ? [] : ['TOP']),
          ];
          if (options.stls && !(socket instanceof tls.TLSSocket)) caps.push('STLS');
          return connection.write(`+OK\r\n${caps.join('\r\n')}\r\n.\r\n`);
        }
        case 'STLS': {
          if (!credentials || !options.stls) return reply('-ERR Unknown command');
          await reply('+OK Begin TLS negotiation now.');
          socket.off('data', onData);
          const secure = new tls.TLSSocket(socket, { isServer: true, ...credentials });
          sockets.add(secure);
          secure.on('error', () => {});
          socket = secure;
          socket.on('data', onData);
          return;
        }
        case 'USER':
          return reply('+OK');
        case 'PASS':
          return args.join(' ') === (options.password ?? 'secret')
            ? reply('+OK Logged in.')
            : reply('-ERR [AUTH] Authentication failed.');
        case 'STAT': {
          const list = live();
          return reply(`+OK ${list.length} ${list.reduce((sum, { m }) => sum + m.length, 0)}`);
        }
        case 'UIDL':
          if (!uids) return reply('-ERR Unknown command: UIDL');
          if (args.length > 0) return exists ? reply(`+OK ${n} ${uids[n - 1]}`) : reply('-ERR no such message');
          return connection.write(
            `+OK\r\n${live()
              .map(({ n: k }) => `${k} ${uids[k - 1]}\r\n`)
              .join('')}.\r\n`,
          );
        case 'LIST':
          if (args.length > 0)
            return exists ? reply(`+OK ${n} ${messages[n - 1]!.length}`) : reply('-ERR no such message');
          return connection.write(
            `+OK\r\n${live()
              .map(({ n: k, m }) => `${k} ${m.length}\r\n`)
              .join('')}.\r\n`,
          );
        case 'TOP': {
          if (options.noTop) return reply('-ERR Unknown command');
          if (!exists) return reply('-ERR no such message');
          const message = messages[n - 1]!.toString('latin1');
          const split = message.indexOf('\r\n\r\n');
          const head = split < 0 ? message : message.slice(0, split + 4);
          await reply('+OK');
          return connection.write(stuffed(Buffer.from(head, 'latin1')));
        }
        case 'RETR':
          if (!exists) return reply('-ERR no such message');
          await reply(`+OK ${messages[n - 1]!.length} octets`);
          return connection.write(stuffed(messages[n - 1]!));
        case 'DELE':
          if (!exists) return reply('-ERR no such message');
          deleted.add(n);
          return reply(`+OK Marked to be deleted.`);
        case 'RSET':
          deleted.clear();
          return reply('+OK');
        case 'NOOP':
          return reply('+OK');
        case 'QUIT': {
          // UPDATE state (RFC 1939 §6): commit the marks, highest first so numbers stay valid while removing.
          for (const k of [...deleted].sort((a, b) => b - a)) {
            messages.splice(k - 1, 1);
            uids?.splice(k - 1, 1);
          }
          await reply('+OK Logging out.');
          socket.end();
          return;
        }
        default:
          return reply('-ERR Unknown command');
      }
    };

    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let index = buffered.indexOf('\r\n');
      while (index >= 0) {
        const line = buffered.slice(0, index);
        buffered = buffered.slice(index + 2);
        busy = busy
          .then(() => handleLine(line))
          .catch(() => {
            socket.destroy();
          });
        index = buffered.indexOf('\r\n');
      }
    };
    socket.on('data', onData);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    if (options.greeting !== null) void reply(options.greeting ?? '+OK fake POP3 ready.');
  };

  const server = credentials && !options.stls ? tls.createServer(credentials, serve) : net.createServer(serve);
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    commands,
    messages,
    get uids() {
      return uids;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Counts the bytes a client socket has read, so a server can wait until the client has really received a part
 * before writing the next one (two writes then never reach the client as one read).
 *
 * @example
 * ```ts
 * const reads = trackReads(client._socket!);
 * await server.write(part1); await reads.until(reads.total + part1.length);
 * ```
 */
export function trackReads(socket: Socket): { readonly total: number; until(total: number): Promise<void> } {
  let total = 0;
  const waiters: { total: number; resolve: () => void }[] = [];
  socket.on('data', (chunk: Buffer) => {
    total += chunk.length;
    for (const waiter of waiters.splice(0)) {
      if (total >= waiter.total) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  return {
    get total() {
      return total;
    },
    until: (wanted) =>
      wanted <= total ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ total: wanted, resolve })),
  };
}
