/**
 * A POP3 client: node-pop3's command API on a socket layer of our own.
 *
 * node-pop3 0.11.0 splits into a command layer (`Pop3Command`: USER/PASS, STAT, UIDL, LIST, DELE, RSET, QUIT, …)
 * and a connection layer (`Pop3Connection`) whose `command()` writes a line and waits for its `response`, `error`
 * and `end` events. The defects of NOTES.md all live in how that layer turns socket reads into those events (it
 * frames per chunk). {@link Pop3Client} keeps node-pop3's commands and `command()` and replaces only that part:
 * it opens the socket itself (implicit TLS, or STLS per RFC 2595, certificates verified), feeds every read to
 * {@link Pop3ResponseDecoder}, and emits node-pop3's events from whole, unstuffed responses. On top it adds what
 * node-pop3 lacks: byte-exact RETR/TOP as Buffers, CAPA, STLS, SASL `AUTH` with continuations (room for XOAUTH2),
 * serialized commands, an inactivity timeout per command, and typed errors.
 *
 * @module
 */
import net from 'node:net';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import Pop3Command from 'node-pop3';
import { MailServiceError } from '../errors.js';
import { secureContextTrusting } from '../tls-context.js';
import { errorFromReply, errorFromTransport, type Pop3CommandError } from './errors.js';
import { Pop3FramingError, Pop3ResponseDecoder } from './framing.js';

/**
 * How the connection is secured: implicit TLS, STLS required, or plaintext (only where the config allows it).
 *
 * @example
 * ```ts
 * const security: Pop3Security = address.tls === 'implicit' ? 'implicit' : 'starttls';
 * ```
 */
export type Pop3Security = 'implicit' | 'starttls' | 'plaintext';

/**
 * Options of {@link Pop3Client.open}.
 *
 * @example
 * ```ts
 * const options: Pop3ClientOptions = {
 *   mailboxId: 'inbox', host: '127.0.0.1', port: 995, security: 'implicit', ca: caPem, commandTimeoutMs: 60_000,
 * };
 * ```
 */
export interface Pop3ClientOptions {
  readonly mailboxId: string;
  readonly host: string;
  readonly port: number;
  readonly security: Pop3Security;
  /** PEM of a CA trusted in addition to Node's root CAs (self-signed company servers). */
  readonly ca?: string | Buffer;
  /** A command fails with `TIMEOUT` when the server sends nothing for this long while it is in flight. */
  readonly commandTimeoutMs: number;
}

/**
 * One `UIDL` line: the message number in this session and its unique id.
 *
 * @example
 * ```ts
 * const entry: UidlEntry = { number: 1, uid: '00000001575a2b6d' };
 * ```
 */
export interface UidlEntry {
  readonly number: number;
  readonly uid: string;
}

/**
 * Answers a SASL server challenge (the base64 text after `+ `) with the next base64 line to send (`''` for an
 * empty line, `'*'` to cancel, RFC 5034 §4).
 *
 * @example
 * ```ts
 * // XOAUTH2: a challenge carries the error as JSON; the client must answer with an empty line to get the -ERR.
 * const respond: SaslResponder = async () => '';
 * ```
 */
export type SaslResponder = (challenge: string) => string | Promise<string>;

/**
 * Whether the reply to a command has a multi-line body (RFC 1939, RFC 2449 CAPA): RETR, TOP and CAPA always; UIDL
 * and LIST only without a message number.
 *
 * @example
 * ```ts
 * expectsBody('UIDL');   // true
 * expectsBody('UIDL 3'); // false
 * ```
 */
export function expectsBody(commandLine: string): boolean {
  const [name = '', argument] = commandLine.trim().split(/\s+/, 2);
  const upper = name.toUpperCase();
  if (upper === 'RETR' || upper === 'TOP' || upper === 'CAPA') return true;
  return (upper === 'UIDL' || upper === 'LIST') && (argument === undefined || argument === '');
}

/** The command's name for errors and logs: arguments may be secrets (PASS, AUTH responses). */
function commandName(commandLine: string): string {
  return (commandLine.trim().split(/\s+/, 1)[0] ?? '').toUpperCase();
}

/** Collects a body stream into one Buffer (bodies are bounded by the message size the server reported). */
async function collect(stream: Readable | null): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

type ReplyKind = 'ok' | 'continue';

/** Pipelined commands in flight (RFC 2449 PIPELINING): replies arrive in the order the commands were sent. */
interface Batch {
  readonly commands: readonly string[];
  readonly results: (Buffer | Pop3CommandError)[];
  chunks: Buffer[];
  readonly resolve: () => void;
  readonly reject: (error: MailServiceError) => void;
}

/** How long a socket may stay half-closed after QUIT before it is destroyed. */
const QUIT_LINGER_MS = 2_000;

/**
 * A POP3 session over one socket. Open it with {@link Pop3Client.open}; every method sends one command (or a short
 * exchange) and rejects with a {@link MailServiceError} — `-ERR` replies as {@link Pop3CommandError}. Methods may be
 * called concurrently: they queue and run one at a time, as POP3 requires. After a transport failure every pending
 * and later call rejects with the same error.
 *
 * The node-pop3 methods (`UIDL()`, `LIST()`, `STAT()`, `RETR()`, …) work too, on the same framing, but they are
 * not queued and `RETR()`/`TOP()` decode the message as UTF-8 text; prefer {@link retrieve} and {@link top}.
 *
 * @example
 * ```ts
 * const client = await Pop3Client.open({ mailboxId: 'inbox', host: '127.0.0.1', port: 995,
 *   security: 'implicit', ca: caPem, commandTimeoutMs: 60_000 });
 * await client.login('user1@example.test', 'secret');
 * for (const { number, uid } of await client.uidl()) console.log(number, uid, (await client.retrieve(number)).length);
 * await client.quit();
 * ```
 */
export class Pop3Client extends Pop3Command {
  readonly #options: Pop3ClientOptions;
  readonly #where: string;
  readonly #decoder: Pop3ResponseDecoder;
  #transport: net.Socket | tls.TLSSocket | null = null;
  #failure: MailServiceError | null = null;
  #authenticated = false;
  #quitting = false;
  #quitAcknowledged = false;
  /** Set once the session ended by QUIT: later calls fail as closed. */
  #ended = false;
  #saslActive = false;
  #user: string | undefined;
  #lastKind: ReplyKind = 'ok';
  #queue: Promise<unknown> = Promise.resolve();
  #batch: Batch | null = null;
  readonly #onData = (chunk: Buffer) => this.#receive(chunk);
  readonly #onError = (error: Error) => this.#fail(this.#transportError(error));
  readonly #onClose = () => {
    // After `+OK` to QUIT the server closes by design; any other close loses the session.
    if (!this.#quitAcknowledged) this.#fail(this.#transportError(new Error('the server closed the connection')));
  };
  readonly #onTimeout = () =>
    this.#fail(
      new MailServiceError({
        code: 'TIMEOUT',
        message: `${this.#where}: no reply to ${this.#pendingName()} within ${this.#options.commandTimeoutMs} ms`,
        retryable: true,
        mailboxId: this.#options.mailboxId,
      }),
    );

  private constructor(options: Pop3ClientOptions) {
    // node-pop3's own connect() is never called: the credentials it would send stay empty here.
    super({ user: '', password: '', host: options.host, port: options.port, tls: options.security === 'implicit' });
    this.#options = options;
    this.#where = `POP3 ${options.host}:${options.port}`;
    this.#decoder = new Pop3ResponseDecoder({
      status: (line) => (this.#batch ? this.#batchStatus(this.#batch, line) : this.#status(line)),
      body: (bytes) => {
        if (this.#batch) this.#batch.chunks.push(bytes);
        else this._stream?.push(bytes);
      },
      end: () => {
        if (this.#batch) return this.#batchEnd(this.#batch);
        const stream = this._stream;
        this._stream = null;
        stream?.push(null);
        this.emit('end');
      },
    });
    // An `error` event without a listener would throw out of a socket callback; failures are kept in #failure.
    this.on('error', () => {});
  }

  /**
   * Connects, reads the greeting, and upgrades with STLS where asked (not logged in yet). Rejects with a
   * typed error: `CONNECTION_REFUSED`, `TLS_CERT_INVALID`, `STARTTLS_UNAVAILABLE`, `TIMEOUT`, …; aborting the
   * signal destroys the socket and rejects with the signal's reason when it is a {@link MailServiceError}.
   *
   * @example
   * ```ts
   * const client = await Pop3Client.open(options, AbortSignal.timeout(30_000));
   * ```
   */
  static async open(options: Pop3ClientOptions, signal?: AbortSignal): Promise<Pop3Client> {
    const client = new Pop3Client(options);
    const onAbort = () => client.destroy(client.#abortError(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw client.#abortError(signal.reason);
      await client.#exclusive(async () => {
        await client.#connectTransport();
        client._command = '';
        await client.#awaitReply();
        // No CAPA here: it would cost every cycle a round trip for what USER/PASS does not need.
        if (options.security === 'starttls') await client.#startTls();
      });
      return client;
    } catch (error) {
      client.destroy(client.#failure ?? errorFromTransport(error, client.#context('connect')));
      throw client.#failure ?? error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * CAPA (RFC 2449): the capabilities as upper-case first words (`UIDL`, `TOP`, `STLS`, `SASL`, …) plus one
   * `SASL <mechanisms>` entry; empty when the server has no CAPA. Asked on demand only.
   */
  async capa(): Promise<ReadonlySet<string>> {
    return this.#exclusive(() => this.#readCapabilities());
  }

  /** The transport failure that ended the session, or `null` (still open, or ended by QUIT/destroy). */
  get failure(): MailServiceError | null {
    return this.#failure;
  }

  /** Whether the session has failed or ended; every call then rejects. */
  get closed(): boolean {
    return this.#failure !== null || this.#transport === null;
  }

  /** Whether the transport is encrypted (implicit TLS, or after STLS). */
  get encrypted(): boolean {
    return this.#transport instanceof tls.TLSSocket;
  }

  /** USER/PASS login (RFC 1939 §7). A rejected login is `AUTH_FAILED`; a locked maildrop `MAILDROP_LOCKED`. */
  async login(user: string, password: string): Promise<void> {
    await this.#exclusive(async () => {
      this.#user = user;
      await this.command('USER', user);
      await this.command('PASS', password);
      this.#authenticated = true;
    });
  }

  /**
   * SASL authentication (RFC 5034): `AUTH mechanism [initial-response]`, then each `+ challenge` is answered by
   * `respond` until the server says `+OK` or `-ERR`. Unlike node-pop3, a `+` continuation is never taken for
   * success. The room for `AUTH XOAUTH2` (issue 7): initial response = base64 of the XOAUTH2 string, and `respond`
   * answers the error challenge with an empty line.
   *
   * @example
   * ```ts
   * const xoauth2 = Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
   * await client.authenticate(user, 'XOAUTH2', xoauth2, () => '');
   * ```
   */
  async authenticate(
    user: string,
    mechanism: string,
    initialResponse: string | undefined,
    respond: SaslResponder,
  ): Promise<void> {
    await this.#exclusive(async () => {
      this.#user = user;
      this.#saslActive = true;
      try {
        let [info] = await this.command('AUTH', mechanism, ...(initialResponse === undefined ? [] : [initialResponse]));
        while (this.#lastKind === 'continue') {
          const answer = await respond(info);
          [info] = await this.command(answer);
        }
        this.#authenticated = true;
      } finally {
        this.#saslActive = false;
      }
    });
  }

  /** `STAT`: number of messages and their total size in octets. */
  async stat(): Promise<{ count: number; size: number }> {
    return this.#exclusive(async () => {
      const [count = Number.NaN, size = Number.NaN] = (await this.STAT()).trim().split(/\s+/).map(Number);
      if (!Number.isInteger(count) || !Number.isInteger(size)) throw this.#protocolError('STAT reply is malformed');
      return { count, size };
    });
  }

  /** `UIDL` of the whole maildrop, in message-number order. */
  async uidl(): Promise<UidlEntry[]> {
    return this.#exclusive(async () => {
      const rows = (await this.UIDL()) as string[][];
      return rows.map(([number = '', uid = '']) => {
        const n = Number(number);
        if (!Number.isInteger(n) || n < 1 || uid.length === 0) throw this.#protocolError('UIDL line is malformed');
        return { number: n, uid };
      });
    });
  }

  /** `UIDL n`: the unique id of one message, as the server says now. */
  async uidlOf(number: number): Promise<string> {
    return this.#exclusive(async () => {
      const [, uid] = (await this.UIDL(number)) as string[];
      if (!uid) throw this.#protocolError('UIDL reply is malformed');
      return uid;
    });
  }

  /** `LIST` of the whole maildrop: message number → size in octets. */
  async list(): Promise<Map<number, number>> {
    return this.#exclusive(async () => {
      const rows = (await this.LIST()) as string[][];
      return new Map(rows.map(([number = '', size = '']) => [Number(number), Number(size)]));
    });
  }

  /** `TOP n lines`: the header block and the first `lines` body lines, byte for byte. */
  async top(number: number, lines = 0): Promise<Buffer> {
    return this.#exclusive(() => this.#body(`TOP ${number} ${lines}`));
  }

  /**
   * `TOP n lines` for many messages at once, pipelined (only for servers that announce PIPELINING in CAPA): one
   * write, the replies read in order. A message's `-ERR` is its entry's {@link Pop3CommandError}, not a rejection.
   *
   * @example
   * ```ts
   * if ((await client.capa()).has('PIPELINING')) heads = await client.topMany([1, 2, 3]);
   * ```
   */
  async topMany(numbers: readonly number[], lines = 0): Promise<(Buffer | Pop3CommandError)[]> {
    if (numbers.length === 0) return [];
    return this.#exclusive(() => this.#bodies(numbers.map((n) => `TOP ${n} ${lines}`)));
  }

  /** `RETR n`: the message, byte for byte (dot-stuffing undone, final CRLF kept). */
  async retrieve(number: number): Promise<Buffer> {
    return this.#exclusive(() => this.#body(`RETR ${number}`));
  }

  /** `DELE n`: marks the message; the server removes it only when the session ends with QUIT. */
  async dele(number: number): Promise<void> {
    await this.#exclusive(() => this.DELE(number));
  }

  /** `RSET`: unmarks every message marked with DELE in this session. */
  async rset(): Promise<void> {
    await this.#exclusive(() => this.RSET());
  }

  /** `NOOP`. */
  async noop(): Promise<void> {
    await this.#exclusive(() => this.NOOP());
  }

  /**
   * `QUIT`: ends the session; the server commits the DELE marks (RFC 1939 §6, UPDATE state) and closes. Rejects
   * when the session was already lost (then nothing was committed).
   */
  async quit(): Promise<void> {
    await this.#exclusive(async () => {
      if (this.#failure) throw this.#failure;
      this.#quitting = true;
      try {
        await this.QUIT();
      } finally {
        this.#endTransport();
      }
    });
  }

  /**
   * Closes the socket at once without QUIT (the server then commits nothing) and fails pending calls with `error`
   * (default `CONNECTION_CLOSED`). Idempotent; does nothing after a QUIT.
   */
  destroy(error?: MailServiceError): void {
    // Ended by QUIT: the server has committed; nothing is pending that could fail.
    if (this.#ended && !this.#failure) return;
    this.#fail(
      error ??
        new MailServiceError({
          code: 'CONNECTION_CLOSED',
          message: `${this.#where}: session closed`,
          retryable: true,
          mailboxId: this.#options.mailboxId,
        }),
    );
  }

  /** node-pop3 logs in lazily from here; this client logs in explicitly, so here it only checks the session. */
  override async _connect(): Promise<string> {
    if (this.#failure) throw this.#failure;
    if (!this._socket) throw this.#closedError();
    if (!this.#authenticated && !this.#quitting) {
      throw new MailServiceError({
        code: 'NOT_AUTHENTICATED',
        message: `${this.#where}: command before login`,
        retryable: false,
        mailboxId: this.#options.mailboxId,
      });
    }
    return '';
  }

  /** node-pop3's connect() would frame per chunk; the socket is opened by {@link Pop3Client.open} only. */
  override async connect(): Promise<void> {
    throw new TypeError('Pop3Client: use Pop3Client.open()');
  }

  /** Runs `task` after every earlier call, with the command timeout armed while it runs. */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = async () => {
      if (this.#failure) throw this.#failure;
      if (this.#ended) throw this.#closedError();
      this.#transport?.setTimeout(this.#options.commandTimeoutMs);
      try {
        return await task();
      } catch (error) {
        throw this.#failure ?? error;
      } finally {
        this.#transport?.setTimeout(0);
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  #context(phase: 'connect' | 'session') {
    return { mailboxId: this.#options.mailboxId, where: this.#where, phase };
  }

  #transportError(error: unknown): MailServiceError {
    return errorFromTransport(error, this.#context(this.#authenticated ? 'session' : 'connect'));
  }

  #abortError(reason: unknown): MailServiceError {
    if (reason instanceof MailServiceError) return reason;
    return new MailServiceError({
      code: 'ABORTED',
      message: `${this.#where}: connect aborted`,
      retryable: true,
      mailboxId: this.#options.mailboxId,
    });
  }

  #closedError(): MailServiceError {
    return new MailServiceError({
      code: 'CONNECTION_CLOSED',
      message: `${this.#where}: session already closed`,
      retryable: true,
      mailboxId: this.#options.mailboxId,
    });
  }

  #protocolError(what: string): MailServiceError {
    return new MailServiceError({
      code: 'PROTOCOL_ERROR',
      message: `${this.#where}: ${what}`,
      retryable: true,
      mailboxId: this.#options.mailboxId,
    });
  }

  #tlsOptions(socket?: net.Socket): tls.ConnectionOptions {
    const { host, port, ca } = this.#options;
    return {
      host,
      port,
      ...(socket ? { socket } : {}),
      // SNI takes host names only; an IP address is still checked against the certificate's IP SANs.
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      ...(ca ? { secureContext: secureContextTrusting(ca.toString()) } : {}),
      // Certificate verification is never switched off (S7): a CA option is how self-signed servers work.
      rejectUnauthorized: true,
    };
  }

  /** Opens TCP (and TLS for POP3S) and waits until it is ready. */
  async #connectTransport(): Promise<void> {
    const { host, port, security } = this.#options;
    const socket =
      security === 'implicit' ? tls.connect(this.#tlsOptions()) : net.connect({ host, port, noDelay: true });
    await this.#whenReady(socket, security === 'implicit' ? 'secureConnect' : 'connect');
    this.#attach(socket);
  }

  /** Resolves on `readyEvent`, rejects on the socket's error; the socket is destroyed on failure. */
  #whenReady(socket: net.Socket, readyEvent: 'connect' | 'secureConnect'): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        socket.off(readyEvent, onReady);
        socket.off('error', onError);
        this.off('connect-abort', onAbort);
      };
      const onReady = () => {
        cleanup();
        resolve();
      };
      const onError = (error: Error) => {
        cleanup();
        socket.destroy();
        reject(errorFromTransport(error, this.#context('connect')));
      };
      const onAbort = (error: MailServiceError) => {
        cleanup();
        socket.destroy();
        reject(error);
      };
      socket.once(readyEvent, onReady);
      socket.once('error', onError);
      this.once('connect-abort', onAbort);
    });
  }

  #attach(socket: net.Socket): void {
    this.#transport = socket;
    this._socket = socket;
    socket.setKeepAlive(true);
    socket.setNoDelay(true);
    // Armed until the call that attached it ends: a server that never greets fails with TIMEOUT.
    socket.setTimeout(this.#options.commandTimeoutMs);
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('timeout', this.#onTimeout);
  }

  #detach(socket: net.Socket): void {
    socket.off('data', this.#onData);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
    socket.off('timeout', this.#onTimeout);
  }

  /** STLS (RFC 2595), asked for directly: a server without it answers -ERR, which refuses the connection. */
  async #startTls(): Promise<void> {
    try {
      await this.command('STLS');
    } catch (error) {
      if (this.#failure || !(error instanceof MailServiceError) || error.code === 'PROTOCOL_ERROR') throw error;
      throw new MailServiceError({
        code: 'STARTTLS_UNAVAILABLE',
        message: `${this.#where}: the server does not offer STLS; use pop3s:// or allow plaintext explicitly`,
        retryable: false,
        mailboxId: this.#options.mailboxId,
      });
    }
    const plain = this.#transport!;
    this.#detach(plain);
    // A failure of the plain socket during the handshake surfaces as an error of the TLS socket.
    const secure = tls.connect(this.#tlsOptions(plain));
    await this.#whenReady(secure, 'secureConnect');
    this.#attach(secure);
  }

  /** CAPA (RFC 2449), best effort: a server without it just has no known capabilities. */
  async #readCapabilities(): Promise<ReadonlySet<string>> {
    const capabilities = new Set<string>();
    try {
      const [, stream] = await this.command('CAPA');
      const text = (await collect(stream)).toString('utf8');
      for (const line of text.split(/\r?\n/)) {
        const trimmed = line.trim();
        if (trimmed.length === 0) continue;
        const [name = '', ...rest] = trimmed.split(/\s+/);
        capabilities.add(name.toUpperCase());
        if (name.toUpperCase() === 'SASL') capabilities.add(`SASL ${rest.join(' ').toUpperCase()}`);
      }
    } catch (error) {
      if (this.#failure || !(error instanceof MailServiceError) || error.code === 'PROTOCOL_ERROR') throw error;
    }
    return capabilities;
  }

  /** Waits for the next reply without sending anything (the greeting). */
  #awaitReply(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const onResponse = (info: string) => {
        this.off('error', onError);
        resolve(info);
      };
      const onError = (error: Error) => {
        this.off('response', onResponse);
        reject(error);
      };
      this.once('response', onResponse);
      this.once('error', onError);
    });
  }

  #receive(chunk: Buffer): void {
    try {
      this.#decoder.push(chunk);
    } catch (error) {
      this.#fail(
        error instanceof Pop3FramingError
          ? this.#protocolError(error.message)
          : errorFromTransport(error, this.#context('session')),
      );
    }
  }

  /** One multi-line command's body as a Buffer, collected straight from the decoder (no stream per message). */
  async #body(command: string): Promise<Buffer> {
    const [result] = await this.#bodies([command]);
    if (!Buffer.isBuffer(result)) throw result;
    return result;
  }

  /** Sends multi-line commands in one write and collects their replies in order (pipelined when more than one). */
  async #bodies(commands: readonly string[]): Promise<(Buffer | Pop3CommandError)[]> {
    await this._connect();
    const done = new Promise<void>((resolve, reject) => {
      this.#batch = { commands, results: [], chunks: [], resolve, reject };
    });
    this._command = commands[0]!;
    this._socket!.write(`${commands.join('\r\n')}\r\n`);
    try {
      await done;
      return this.#batch!.results;
    } finally {
      this.#batch = null;
    }
  }

  #batchStatus(batch: Batch, line: string): boolean {
    const command = batch.commands[batch.results.length] ?? '';
    if (line.startsWith('+OK')) {
      batch.chunks = [];
      return expectsBody(command);
    }
    if (line.startsWith('-ERR')) {
      batch.results.push(
        errorFromReply({
          mailboxId: this.#options.mailboxId,
          where: this.#where,
          command: commandName(command),
          text: line.slice(4),
        }),
      );
      if (batch.results.length === batch.commands.length) batch.resolve();
      return false;
    }
    this.#fail(this.#protocolError(`unexpected reply to pipelined ${commandName(command)}`));
    return false;
  }

  #batchEnd(batch: Batch): void {
    batch.results.push(Buffer.concat(batch.chunks));
    batch.chunks = [];
    if (batch.results.length === batch.commands.length) batch.resolve();
  }

  /** The name of the command awaiting its reply; during SASL always `AUTH` (the line sent may be a secret). */
  #pendingName(): string {
    return this.#saslActive ? 'AUTH' : commandName(this._command) || 'greeting';
  }

  /** One status line: emits node-pop3's `response` (with a body stream when one follows) or `error`. */
  #status(line: string): boolean {
    const pending = this._command;
    const name = this.#pendingName();
    if (line.startsWith('+OK')) {
      this.#lastKind = 'ok';
      if (name === 'QUIT') this.#quitAcknowledged = true;
      const info = line.slice(4);
      if (!this.#saslActive && expectsBody(pending)) {
        const stream = new Readable({ read() {} });
        this._stream = stream;
        this.emit('response', info, stream);
        return true;
      }
      this.emit('response', info, null);
      return false;
    }
    if (line.startsWith('+')) {
      // A SASL continuation (`+ base64`). node-pop3 took any `+` for success; here it is a question to answer.
      this.#lastKind = 'continue';
      this.emit('response', line.slice(2), null);
      return false;
    }
    if (line.startsWith('-ERR')) {
      this.emit(
        'error',
        errorFromReply({
          mailboxId: this.#options.mailboxId,
          where: this.#where,
          command: name,
          text: line.slice(4),
          ...(this.#user ? { user: this.#user } : {}),
        }),
      );
      return false;
    }
    this.#fail(this.#protocolError(`unexpected reply to ${name}: ${JSON.stringify(line.slice(0, 40))}`));
    return false;
  }

  #endTransport(): void {
    this.#ended = true;
    const socket = this.#transport;
    this.#transport = null;
    this._socket = null;
    if (socket) {
      this.#detach(socket);
      socket.on('error', () => {});
      socket.end();
      // The server closes after QUIT; should it not, the socket must neither linger nor keep the process alive.
      socket.setTimeout(QUIT_LINGER_MS, () => socket.destroy());
      socket.unref();
    }
  }

  #fail(error: MailServiceError): void {
    if (this.#failure) return;
    this.#failure = error;
    this.emit('connect-abort', error);
    this.#batch?.reject(error);
    const stream = this._stream;
    this._stream = null;
    if (stream) stream.destroy(error);
    // Rejects the command in flight (node-pop3's command() listens for `error`, or for `end` while a body runs).
    this.emit('end', error);
    this.emit('error', error);
    const socket = this.#transport;
    this.#transport = null;
    this._socket = null;
    if (socket) {
      this.#detach(socket);
      socket.on('error', () => {});
      socket.destroy();
    }
  }
}
