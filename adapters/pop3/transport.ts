/**
 * The POP3 transport: one socket, and commands sent over it one at a time (or pipelined) with their replies framed
 * byte for byte. It knows nothing of what a command means; the functions in `./commands/` do, in the manner of
 * imapflow's `lib/commands` (each builds its {@link Pop3Request} and reads its {@link Pop3Reply}).
 *
 * What it does, and why it is ours rather than node-pop3's (NOTES.md lists node-pop3 0.11.0's defects):
 * - replies matched to commands by {@link Pop3Replies}, framed by a decoder that keeps state across reads (a
 *   terminator split across TLS records is found, dot-stuffing undone, the final CRLF kept);
 * - implicit TLS, or the upgrade after `+OK` to STLS (RFC 2595), certificates always verified (SPEC S7);
 * - SASL continuations (`+ payload`) handed to the request's responder, never taken for success;
 * - an inactivity timeout while a reply is awaited, as an unref'd timer; a lost socket, a timeout or a reply no
 *   POP3 server sends ends the transport with one typed {@link MailServiceError}, which every pending and later
 *   call rejects with.
 *
 * @module
 */
import type net from 'node:net';
import tls from 'node:tls';
import { MailServiceError } from '../errors.js';
import { errorFromTransport, Pop3CommandError } from './errors.js';
import { Pop3FramingError } from './framing.js';
import { Pop3Replies, type Pop3Reply, type Pop3Request } from './replies.js';
import { closeGracefully, openSocket, type Pop3Endpoint, tlsOptions, whenReady } from './socket.js';

export type { Pop3Reply, Pop3Request } from './replies.js';

/**
 * Options of {@link Pop3Transport.connect}.
 *
 * @example
 * ```ts
 * const options: Pop3TransportOptions = {
 *   mailboxId: 'inbox', host: '127.0.0.1', port: 995, security: 'implicit', ca: caPem, commandTimeoutMs: 60_000,
 * };
 * ```
 */
export interface Pop3TransportOptions extends Pop3Endpoint {
  readonly mailboxId: string;
  /** A command fails with `TIMEOUT` when the server sends nothing for this long while its reply is awaited. */
  readonly commandTimeoutMs: number;
}

/** How long a socket may stay half-closed after QUIT before it is destroyed. */
const QUIT_LINGER_MS = 2_000;

/** Stands for the greeting, which is awaited like a reply but answers no command. */
const GREETING: Pop3Request = { line: '', name: 'greeting' };

/**
 * A POP3 connection. Open it with {@link Pop3Transport.connect}, then use the command functions of `./commands/`.
 * Calls may be made concurrently: they queue and run one at a time, as POP3 requires.
 *
 * @example
 * ```ts
 * const transport = await Pop3Transport.connect(options, AbortSignal.timeout(30_000));
 * await login(transport, 'user1@example.test', 'secret');
 * const { count } = await stat(transport);
 * await quit(transport);
 * ```
 */
export class Pop3Transport {
  readonly mailboxId: string;
  /** `POP3 host:port`, the start of every error message. */
  readonly where: string;
  readonly #options: Pop3TransportOptions;
  readonly #replies: Pop3Replies;
  #socket: net.Socket | null = null;
  #failure: MailServiceError | null = null;
  #authenticated = false;
  /** Set by `+OK` to QUIT (or {@link end}): the server closes next, and later calls fail as closed. */
  #ended = false;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  /** Reading paused by a streamed body's consumer: the reply timeout then does not run. */
  #paused = false;
  /** `+OK` to STLS read: TLS starts once the read that carried it is decoded, then this settles STLS. */
  #upgradeAfterRead: (() => void) | null = null;
  /** Rejects the socket being opened (connect or TLS upgrade) when the transport fails meanwhile. */
  #abortOpening: ((error: Error) => void) | null = null;
  readonly #onData = (chunk: Buffer) => this.#receive(chunk);
  readonly #onError = (error: Error) => this.#fail(errorFromTransport(error, this.#context()));
  readonly #onClose = () => {
    if (!this.#ended) this.#fail(errorFromTransport(new Error('the server closed the connection'), this.#context()));
  };
  readonly #onTimeout = () => {
    const what = `no reply to ${this.#replies.current?.name ?? 'greeting'} within ${this.#options.commandTimeoutMs} ms`;
    this.#fail(this.error('TIMEOUT', what, true));
  };

  private constructor(options: Pop3TransportOptions) {
    this.#options = options;
    this.mailboxId = options.mailboxId;
    this.where = `POP3 ${options.host}:${options.port}`;
    this.#replies = new Pop3Replies(this, {
      unexpected: (what) => this.#fail(this.error('PROTOCOL_ERROR', what, true)),
      continuation: (respond, payload) => void this.#answer(respond, payload),
      startTls: (done) => {
        this.#upgradeAfterRead = done;
      },
      sessionEnds: () => {
        this.#ended = true;
      },
      settled: () => {
        // A streamed body's consumer may have paused reading; the next reply must still be read.
        if (this.#paused) this.resumeReading();
        this.#arm();
      },
    });
  }

  /**
   * Connects (TCP, and TLS for `implicit`) and reads the greeting; STLS and login are commands. Rejects with a
   * typed error (`CONNECTION_REFUSED`, `TLS_CERT_INVALID`, `TIMEOUT`, …); aborting `signal` destroys the socket and
   * rejects with the signal's reason when it is a {@link MailServiceError}, else with `ABORTED`.
   *
   * @example
   * ```ts
   * const transport = await Pop3Transport.connect({ mailboxId: 'inbox', host: '127.0.0.1', port: 995,
   *   security: 'implicit', ca: caPem, commandTimeoutMs: 60_000 }, signal);
   * ```
   */
  static async connect(options: Pop3TransportOptions, signal?: AbortSignal): Promise<Pop3Transport> {
    const transport = new Pop3Transport(options);
    const aborted = () =>
      signal?.reason instanceof MailServiceError ? signal.reason : transport.error('ABORTED', 'connect aborted', true);
    const onAbort = () => transport.destroy(aborted());
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw aborted();
      const { socket, ready } = openSocket(options);
      await transport.#open(socket, ready);
      transport.#attach(socket);
      const [greeting] = await transport.#dispatch([GREETING], false);
      if (greeting instanceof Pop3CommandError) throw greeting;
      return transport;
    } catch (error) {
      const failure = transport.#failure ?? errorFromTransport(error, transport.#context());
      transport.destroy(failure);
      throw failure;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The failure that ended the transport, or `null` (still open, or ended by QUIT). */
  get failure(): MailServiceError | null {
    return this.#failure;
  }

  /** Whether the transport has failed or ended; every call then rejects. */
  get closed(): boolean {
    return this.#failure !== null || this.#socket === null || this.#ended;
  }

  /** Whether the connection is encrypted (implicit TLS, or after STLS). */
  get encrypted(): boolean {
    return this.#socket instanceof tls.TLSSocket;
  }

  /** Whether a login command succeeded (TRANSACTION state). */
  get authenticated(): boolean {
    return this.#authenticated;
  }

  /** The socket now in use (for tests that watch reads, and diagnostics); `null` once closed. */
  get socket(): net.Socket | null {
    return this.#socket;
  }

  /** Called by the login commands after `+OK`: later failures are "connection lost", not "could not connect". */
  markAuthenticated(): void {
    this.#authenticated = true;
  }

  /**
   * Sends one command after every earlier one has its reply; resolves with the `+OK` reply, rejects with a
   * {@link Pop3CommandError} for `-ERR` or with the transport's failure.
   *
   * @example
   * ```ts
   * await transport.exec({ line: 'NOOP', name: 'NOOP', needsLogin: true });
   * ```
   */
  async exec(request: Pop3Request): Promise<Pop3Reply> {
    const [result] = await this.#run(() => this.#dispatch([request]));
    if (result instanceof Pop3CommandError) throw result;
    return result!;
  }

  /**
   * Sends several commands in one write (RFC 2449 PIPELINING; only for servers that announce it) and reads their
   * replies in order. A command's `-ERR` is its entry, not a rejection; a transport failure rejects.
   *
   * @example
   * ```ts
   * const heads = await transport.pipeline([1, 2].map((n) => ({ line: `TOP ${n} 0`, name: 'TOP', multiline: true })));
   * ```
   */
  async pipeline(requests: readonly Pop3Request[]): Promise<(Pop3Reply | Pop3CommandError)[]> {
    if (requests.length === 0) return [];
    return this.#run(() => this.#dispatch(requests));
  }

  /** Stops reading the socket (a streamed body's consumer is full); the reply timeout waits meanwhile. */
  pauseReading(): void {
    if (this.#paused || !this.#socket) return;
    this.#paused = true;
    this.#socket.pause();
    this.#arm();
  }

  /** Reads again after {@link pauseReading}. */
  resumeReading(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#socket?.resume();
    this.#arm();
  }

  /** Closes after QUIT: the socket ends gracefully and is destroyed should the server not close it. */
  end(): void {
    this.#ended = true;
    this.#stopTimer();
    const socket = this.#socket;
    this.#socket = null;
    this.#replies.failAll(this.#closedError());
    if (!socket) return;
    this.#detach(socket);
    closeGracefully(socket, QUIT_LINGER_MS);
  }

  /**
   * Closes the socket at once without QUIT (the server then commits nothing) and fails pending calls with `error`
   * (default `CONNECTION_CLOSED`). Idempotent; does nothing after a QUIT.
   */
  destroy(error?: MailServiceError): void {
    if (this.#ended && !this.#failure) return;
    this.#fail(error ?? this.error('CONNECTION_CLOSED', 'session closed', true));
  }

  /** A typed error naming this mailbox and server, for the commands' own checks (a malformed reply, …). */
  error(code: string, message: string, retryable: boolean): MailServiceError {
    return new MailServiceError({ code, message: `${this.where}: ${message}`, retryable, mailboxId: this.mailboxId });
  }

  /** Runs `task` after every earlier call; a failure of the transport meanwhile is what it rejects with. */
  #run<T>(task: () => Promise<T>): Promise<T> {
    const run = () => {
      if (this.#failure) throw this.#failure;
      if (this.closed) throw this.#closedError();
      return task();
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result.catch((error: unknown) => {
      throw this.#failure ?? error;
    });
  }

  /** Writes the requests (unless awaiting the greeting) and resolves with their replies in order. */
  #dispatch(requests: readonly Pop3Request[], write = true): Promise<(Pop3Reply | Pop3CommandError)[]> {
    const socket = this.#socket;
    if (this.#failure) return Promise.reject(this.#failure);
    if (!socket) return Promise.reject(this.#closedError());
    for (const request of requests) {
      if (request.needsLogin && !this.#authenticated) {
        return Promise.reject(this.error('NOT_AUTHENTICATED', `${request.name} before login`, false));
      }
      // A CR or LF in an argument would end the line early and smuggle in a command of its own.
      if (/[\r\n]/.test(request.line)) {
        return Promise.reject(this.error('INVALID_ARGUMENT', `${request.name}: an argument holds CR or LF`, false));
      }
    }
    const replies = requests.map((request) => this.#replies.expect(request));
    if (write) socket.write(requests.map((request) => `${request.line}\r\n`).join(''));
    this.#arm();
    return Promise.all(replies);
  }

  #receive(chunk: Buffer): void {
    if (this.#failure) return;
    this.#arm();
    try {
      this.#replies.push(chunk);
    } catch (error) {
      this.#fail(
        error instanceof Pop3FramingError
          ? this.error('PROTOCOL_ERROR', error.message, true)
          : errorFromTransport(error, this.#context()),
      );
      return;
    }
    const upgrade = this.#upgradeAfterRead;
    this.#upgradeAfterRead = null;
    if (!upgrade || this.#failure) return;
    if (this.#replies.buffered > 0) {
      this.#fail(this.error('PROTOCOL_ERROR', 'the server sent data after +OK to STLS, before TLS', true));
      return;
    }
    void this.#startTls(upgrade);
  }

  /** Sends the responder's answer to a SASL continuation (the answer may be a secret: never logged). */
  async #answer(respond: (payload: string) => string | Promise<string>, payload: string): Promise<void> {
    try {
      const answer = await respond(payload);
      if (/[\r\n]/.test(answer)) throw new Error('the answer holds CR or LF');
      if (!this.#failure) this.#socket?.write(`${answer}\r\n`);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      this.#fail(this.error('AUTH_FAILED', `no SASL answer to send: ${why}`, false));
    }
  }

  /** TLS over the plain socket after `+OK` to STLS (RFC 2595); its reply settles once the handshake verified. */
  async #startTls(settle: () => void): Promise<void> {
    const plain = this.#socket!;
    this.#detach(plain);
    try {
      // A failure of the plain socket during the handshake surfaces as an error of the TLS socket.
      const secure = tls.connect(tlsOptions(this.#options, plain));
      await this.#open(secure, 'secureConnect');
      this.#attach(secure);
      settle();
    } catch (error) {
      this.#fail(errorFromTransport(error, this.#context()));
    }
  }

  /** Waits until `socket` is ready; a failure of the transport meanwhile destroys it. */
  async #open(socket: net.Socket, readyEvent: 'connect' | 'secureConnect'): Promise<void> {
    const opening = whenReady(socket, readyEvent);
    this.#abortOpening = opening.abort;
    try {
      await opening.ready;
    } catch (error) {
      throw errorFromTransport(error, this.#context());
    } finally {
      this.#abortOpening = null;
    }
  }

  #attach(socket: net.Socket): void {
    this.#socket = socket;
    socket.setKeepAlive(true);
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  #detach(socket: net.Socket): void {
    socket.off('data', this.#onData);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
  }

  /** Runs the reply timeout while a reply is awaited and reading is not paused; each read restarts it. */
  #arm(): void {
    if (this.#replies.pending === 0 || this.#paused || this.#failure) this.#stopTimer();
    else if (this.#timer) this.#timer.refresh();
    else {
      this.#timer = setTimeout(this.#onTimeout, this.#options.commandTimeoutMs);
      this.#timer.unref();
    }
  }

  #stopTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #context() {
    const phase: 'connect' | 'session' = this.#authenticated ? 'session' : 'connect';
    return { mailboxId: this.mailboxId, where: this.where, phase };
  }

  #closedError(): MailServiceError {
    return this.error('CONNECTION_CLOSED', 'session already closed', true);
  }

  #fail(error: MailServiceError): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#stopTimer();
    this.#abortOpening?.(error);
    this.#replies.failAll(error);
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      this.#detach(socket);
      socket.on('error', () => {});
      socket.destroy();
    }
  }
}
