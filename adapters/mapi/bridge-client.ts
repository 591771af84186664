/**
 * The parent side of the MAPI bridge: starts the bridge child (a Node process that makes every MAPI/COM call on
 * its one thread), sends it one request at a time, and gives each call a deadline. A call that does not answer in
 * time gets the child killed (a hung COM call or an unanswered modal dialog cannot be interrupted any other way);
 * a child that dies fails every call in flight. Both are typed, retryable errors, so the mailbox machine's reconnect
 * pattern (SPEC S8) starts a new child on the next connect.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MailServiceError } from '../errors.js';
import { toMapiError } from './errors.js';
import { type BridgeHello, type BridgeResponse, decodeChildLine, encodeLine } from './protocol.js';
import type { MapiFlavour, MapiOp, MapiOps } from './types.js';

/**
 * A fake backend for tests: a module exporting the fake Outlook application or Simple MAPI functions, and the
 * directory of its mailbox. Never set in production: without it the child loads winax/koffi (Windows only).
 *
 * @example
 * ```ts
 * const fake: BridgeFake = { module: '/repo/test/adapters/mapi/fakes/outlook-fake.ts', store: '/tmp/store' };
 * ```
 */
export interface BridgeFake {
  readonly module: string;
  readonly store: string;
}

/**
 * How to start a bridge child.
 *
 * @example
 * ```ts
 * const options: BridgeOptions = { flavour: 'simple', mailboxId: 'support', where: 'Simple MAPI profile "Support"' };
 * ```
 */
export interface BridgeOptions {
  readonly flavour: MapiFlavour;
  readonly mailboxId: string;
  /** Names the mailbox's MAPI side in messages (`Outlook profile "Support"`). */
  readonly where: string;
  readonly fake?: BridgeFake;
}

/** How much of the child's stderr is kept for the message of a crash. */
const STDERR_TAIL_CHARS = 2_000;
/** How long a child may take to exit after its stdin closed before it is killed. */
const EXIT_GRACE_MS = 3_000;

/**
 * The command that runs the bridge child: the compiled `bridge-child.js` next to this file, or under tsx when this
 * file is the TypeScript source (tests).
 *
 * @example
 * ```ts
 * const { execArgv, script } = bridgeChildCommand(); // ['--import', 'file:///…/tsx/dist/loader.mjs'], '…/bridge-child.ts'
 * ```
 */
export function bridgeChildCommand(): { execArgv: string[]; script: string } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return { execArgv: ['--import', tsx], script: join(dirname(here), 'bridge-child.ts') };
  }
  return { execArgv: [], script: join(dirname(here), 'bridge-child.js') };
}

interface Pending {
  readonly op: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: MailServiceError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One running bridge child. Calls are serialised (the child handles one at a time anyway; queuing here keeps each
 * call's deadline about that call only).
 *
 * @example
 * ```ts
 * const bridge = await BridgeProcess.start(options, signal, 60_000);
 * const entries = await bridge.call('list', { unreadOnly: true }, 30_000);
 * await bridge.stop();
 * ```
 */
export class BridgeProcess {
  readonly #options: BridgeOptions;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #exitListeners = new Set<(error: MailServiceError | null) => void>();
  #nextId = 1;
  #tail: Promise<unknown> = Promise.resolve();
  #stderr = '';
  /** Why the child is gone (null while it runs, or after a requested stop). */
  #lost: MailServiceError | null = null;
  #exited = false;
  #stopping = false;
  #hello: ((hello: BridgeHello) => void) | null = null;
  readonly #exit: Promise<void>;

  private constructor(options: BridgeOptions, child: ChildProcess) {
    this.#options = options;
    this.#child = child;
    this.#exit = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exited = true;
        if (!this.#stopping && this.#lost === null) {
          const how = signal ? `signal ${signal}` : `exit code ${code}`;
          const stderr = this.#stderr.trim();
          this.#lost = this.#error(
            'BRIDGE_CRASHED',
            `the MAPI bridge process ${child.pid} ended unexpectedly (${how})${stderr ? `; stderr: ${stderr.slice(-500)}` : ''}`,
            true,
          );
        }
        this.#failAll(this.#lost ?? this.#error('BRIDGE_STOPPED', 'the MAPI bridge was stopped', true));
        for (const listener of this.#exitListeners) listener(this.#lost);
        resolve();
      });
    });
    child.on('error', (error) => {
      this.#lost ??= this.#error('BRIDGE_START_FAILED', `cannot run the MAPI bridge: ${error.message}`, true);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    if (child.stdout) {
      const lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on('line', (line) => this.#onLine(line));
    }
  }

  /**
   * Starts a child and waits for its `ready` line; the whole start shares one deadline with `signal`. Rejects with
   * BRIDGE_TIMEOUT, BRIDGE_CRASHED, BRIDGE_START_FAILED, ABORTED or the backend's own load failure (MAPI_UNAVAILABLE).
   */
  static async start(options: BridgeOptions, signal: AbortSignal, deadlineMs: number): Promise<BridgeProcess> {
    const { execArgv, script } = bridgeChildCommand();
    const args = [...execArgv, script, `--flavour=${options.flavour}`];
    if (options.fake) args.push(`--fake-module=${options.fake.module}`, `--fake-store=${options.fake.store}`);
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const bridge = new BridgeProcess(options, child);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const hello = await new Promise<BridgeHello>((resolve, reject) => {
        bridge.#hello = resolve;
        timer = setTimeout(() => {
          bridge.#lost ??= bridge.#error(
            'BRIDGE_TIMEOUT',
            `the MAPI bridge did not start within ${deadlineMs} ms`,
            true,
          );
          bridge.kill();
          reject(bridge.#lost);
        }, deadlineMs);
        onAbort = () => {
          bridge.#lost ??= bridge.#error('ABORTED', 'connect aborted', true);
          bridge.kill();
          reject(bridge.#lost);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
        bridge.onExit((error) => reject(error ?? bridge.#error('BRIDGE_CRASHED', 'the MAPI bridge ended', true)));
      });
      if (hello.error) {
        const typed = toMapiError(hello.error, { mailboxId: options.mailboxId, where: options.where, op: 'start' });
        await bridge.stop();
        throw typed;
      }
      return bridge;
    } catch (error) {
      bridge.kill();
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  /** The child's process id (tests check that a hung child is really gone). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Whether the child can still take calls. */
  get alive(): boolean {
    return !this.#exited && this.#lost === null && !this.#stopping;
  }

  /** Why the child is gone, or null. */
  get lostError(): MailServiceError | null {
    return this.#lost;
  }

  /** Called once when the child exits, with the reason when it was not a requested stop. */
  onExit(listener: (error: MailServiceError | null) => void): () => void {
    if (this.#exited) {
      listener(this.#lost);
      return () => undefined;
    }
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  /**
   * Sends one request once the previous ones are answered; rejects with BRIDGE_TIMEOUT (the child is killed) when
   * no answer comes within `timeoutMs` of sending it, or with the typed backend failure.
   */
  call<K extends MapiOp>(op: K, args: MapiOps[K]['args'], timeoutMs: number): Promise<MapiOps[K]['result']> {
    const run = this.#tail.then(() => this.#send(op, args, timeoutMs));
    this.#tail = run.catch(() => undefined);
    return run as Promise<MapiOps[K]['result']>;
  }

  /** Ends the child politely (stdin closed), killing it when it does not exit within a grace period. Never throws. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    this.#stopping = true;
    this.#child.stdin?.end();
    const grace = setTimeout(() => this.kill(), EXIT_GRACE_MS);
    grace.unref();
    await this.#exit;
    clearTimeout(grace);
  }

  /** Kills the child at once (SIGKILL: a thread blocked in a COM call does not answer anything else). */
  kill(): void {
    if (this.#exited) return;
    try {
      this.#child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }

  /** Resolves when the child has exited. */
  exited(): Promise<void> {
    return this.#exit;
  }

  #send(op: string, args: unknown, timeoutMs: number): Promise<unknown> {
    if (this.#lost) return Promise.reject(this.#lost);
    if (this.#exited || this.#stopping) {
      return Promise.reject(this.#error('BRIDGE_STOPPED', `${op}: the MAPI bridge was stopped`, true));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#lost ??= this.#error(
          'BRIDGE_TIMEOUT',
          `${op} did not answer within ${timeoutMs} ms; the MAPI bridge process ${this.#child.pid} was killed ` +
            '(a hung MAPI/COM call, or a dialog waiting for a person: see docs/mapi.md)',
          true,
        );
        this.kill();
      }, timeoutMs);
      this.#pending.set(id, { op, resolve, reject, timer });
      this.#child.stdin?.write(encodeLine({ id, op: op as MapiOp, args }));
    });
  }

  #onLine(line: string): void {
    const message = decodeChildLine(line);
    if (message === null) {
      // Something in the child wrote to stdout: keep it for a crash report, it is not protocol.
      this.#stderr = `${this.#stderr}\n[stdout] ${line.slice(0, 200)}`.slice(-STDERR_TAIL_CHARS);
      return;
    }
    if ('ready' in message) {
      this.#hello?.(message);
      this.#hello = null;
      return;
    }
    this.#settle(message);
  }

  #settle(response: BridgeResponse): void {
    const pending = this.#pending.get(response.id);
    if (!pending) return;
    this.#pending.delete(response.id);
    clearTimeout(pending.timer);
    if (response.ok) pending.resolve(response.result);
    else {
      pending.reject(
        toMapiError(response.error, { mailboxId: this.#options.mailboxId, where: this.#options.where, op: pending.op }),
      );
    }
  }

  #failAll(error: MailServiceError): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(error);
    }
  }

  #error(code: string, message: string, retryable: boolean): MailServiceError {
    return new MailServiceError({
      code,
      message: `${this.#options.where}: ${message}`,
      retryable,
      mailboxId: this.#options.mailboxId,
    });
  }
}
