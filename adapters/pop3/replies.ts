/**
 * Matching a POP3 server's replies to the commands sent, in order (RFC 1939 §3): status lines, multi-line bodies
 * (framed by {@link Pop3ResponseDecoder}: unstuffed, final CRLF kept), SASL continuations. Pure: no sockets, no
 * timers; {@link Pop3Transport} feeds it what it reads and acts on its events.
 *
 * @module
 */
import { errorFromReply, type Pop3CommandError } from './errors.js';
import { Pop3ResponseDecoder } from './framing.js';

/**
 * One command as the transport sends it.
 *
 * @example
 * ```ts
 * const request: Pop3Request = { line: 'RETR 1', name: 'RETR', multiline: true, needsLogin: true };
 * ```
 */
export interface Pop3Request {
  /** The line without CRLF. It may hold a secret (PASS, AUTH): it never goes into an error or a log. */
  readonly line: string;
  /** The command's name, for errors (`PASS`, `AUTH`, …). */
  readonly name: string;
  /** `+OK` is followed by a body ended by a `.` line (RETR, TOP, CAPA, UIDL and LIST without argument). */
  readonly multiline?: boolean;
  /** Only valid after login (TRANSACTION state, RFC 1939 §5): refused with `NOT_AUTHENTICATED` before. */
  readonly needsLogin?: boolean;
  /** The user, named in `AUTH_FAILED` messages. */
  readonly user?: string;
  /** Answers a SASL continuation (`+ payload`) with the next line to send; without it a `+` line is an error. */
  readonly onContinuation?: (payload: string) => string | Promise<string>;
  /** Receives the body as it arrives (unstuffed); without it the body is collected into {@link Pop3Reply.body}. */
  readonly onBody?: (chunk: Buffer) => void;
  /** STLS: after `+OK`, TLS is negotiated over the socket before anything else is sent. */
  readonly startsTls?: boolean;
  /** QUIT: after `+OK` the server closes the connection, which is then no failure. */
  readonly endsSession?: boolean;
}

/**
 * A `+OK` reply: the text after `+OK`, and the body of a multi-line reply (unless streamed to `onBody`).
 *
 * @example
 * ```ts
 * const { text } = await transport.exec({ line: 'STAT', name: 'STAT', needsLogin: true }); // '2 320'
 * ```
 */
export interface Pop3Reply {
  readonly text: string;
  readonly body: Buffer | undefined;
}

/** A request whose reply is awaited, in the order sent. */
interface InFlight {
  readonly request: Pop3Request;
  text: string;
  chunks: Buffer[] | null;
  readonly settle: (result: Pop3Reply | Pop3CommandError) => void;
  readonly fail: (error: Error) => void;
}

/**
 * What {@link Pop3Replies} asks of its transport.
 *
 * @example
 * ```ts
 * const events: Pop3ReplyEvents = {
 *   unexpected: (what) => fail(what), continuation: (respond, payload) => answer(respond, payload),
 *   startTls: (done) => upgrade().then(done), sessionEnds: () => {}, settled: () => rearmTimer(),
 * };
 * ```
 */
export interface Pop3ReplyEvents {
  /** A line no POP3 server sends at this point (the transport must end: it is out of step). */
  unexpected(what: string): void;
  /** `+ payload` to a request with a responder: send the responder's answer. */
  continuation(respond: NonNullable<Pop3Request['onContinuation']>, payload: string): void;
  /** `+OK` to STLS: negotiate TLS, then call `done` (which settles the request). Lines before that are unexpected. */
  startTls(done: () => void): void;
  /** `+OK` to QUIT: the server closes next. */
  sessionEnds(): void;
  /** A request got its reply. */
  settled(): void;
}

/**
 * The requests awaiting replies, and the decoder that reads them.
 *
 * @example
 * ```ts
 * const replies = new Pop3Replies({ mailboxId: 'inbox', where: 'POP3 127.0.0.1:995' }, events);
 * const reply = replies.expect({ line: 'STAT', name: 'STAT' });
 * socket.write('STAT\r\n');
 * socket.on('data', (chunk) => replies.push(chunk));
 * ```
 */
export class Pop3Replies {
  readonly #context: { readonly mailboxId: string; readonly where: string };
  readonly #events: Pop3ReplyEvents;
  readonly #decoder: Pop3ResponseDecoder;
  readonly #inflight: InFlight[] = [];
  /** Set once failed: whatever still arrives is ignored. */
  #stopped = false;
  #upgrading = false;

  constructor(context: { readonly mailboxId: string; readonly where: string }, events: Pop3ReplyEvents) {
    this.#context = context;
    this.#events = events;
    this.#decoder = new Pop3ResponseDecoder({
      status: (line) => this.#status(line),
      body: (bytes) => this.#body(bytes),
      end: () => this.#end(),
    });
  }

  /** How many requests await their reply. */
  get pending(): number {
    return this.#inflight.length;
  }

  /** The request whose reply comes next. */
  get current(): Pop3Request | undefined {
    return this.#inflight[0]?.request;
  }

  /** Octets read but not decoded yet ({@link Pop3ResponseDecoder.buffered}). */
  get buffered(): number {
    return this.#decoder.buffered;
  }

  /** Registers a request sent (or, for the greeting, awaited); resolves with its reply or its `-ERR`. */
  expect(request: Pop3Request): Promise<Pop3Reply | Pop3CommandError> {
    return new Promise((settle, fail) => {
      this.#inflight.push({ request, text: '', chunks: null, settle, fail });
    });
  }

  /** Decodes one read. Throws {@link Pop3FramingError} on what no POP3 server sends (an overlong line). */
  push(chunk: Buffer): void {
    if (!this.#stopped) this.#decoder.push(chunk);
  }

  /** Rejects every request awaiting a reply with `error`; later reads are ignored. */
  failAll(error: Error): void {
    this.#stopped = true;
    for (const pending of this.#inflight.splice(0)) pending.fail(error);
  }

  /** One status line; returns whether a body follows (the decoder then reads it). */
  #status(line: string): boolean {
    if (this.#stopped) return false;
    const current = this.#inflight[0];
    if (!current || this.#upgrading) {
      this.#events.unexpected(`unexpected line from the server: ${quote(line)}`);
      return false;
    }
    const { request } = current;
    if (line.startsWith('+OK')) {
      current.text = line.slice(4);
      if (request.multiline) {
        if (!request.onBody) current.chunks = [];
        return true;
      }
      if (request.endsSession) this.#events.sessionEnds();
      if (!request.startsTls) this.#settle({ text: current.text, body: undefined });
      else {
        this.#upgrading = true;
        this.#events.startTls(() => {
          this.#upgrading = false;
          this.#settle({ text: current.text, body: undefined });
        });
      }
      return false;
    }
    if (line.startsWith('-ERR')) {
      const user = request.user === undefined ? {} : { user: request.user };
      this.#settle(errorFromReply({ ...this.#context, command: request.name, text: line.slice(4), ...user }));
      return false;
    }
    if ((line === '+' || line.startsWith('+ ')) && request.onContinuation) {
      this.#events.continuation(request.onContinuation, line.slice(2));
      return false;
    }
    this.#events.unexpected(`unexpected reply to ${request.name}: ${quote(line)}`);
    return false;
  }

  #body(bytes: Buffer): void {
    const current = this.#inflight[0];
    if (!current || this.#stopped) return;
    if (current.request.onBody) current.request.onBody(bytes);
    else current.chunks?.push(bytes);
  }

  #end(): void {
    const current = this.#inflight[0];
    if (!current || this.#stopped) return;
    this.#settle({ text: current.text, body: current.chunks ? Buffer.concat(current.chunks) : undefined });
  }

  #settle(result: Pop3Reply | Pop3CommandError): void {
    this.#inflight.shift()?.settle(result);
    this.#events.settled();
  }
}

/** The start of a server line, quoted for an error message. */
function quote(line: string): string {
  return JSON.stringify(line.slice(0, 40));
}
