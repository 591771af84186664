/**
 * The canary of one mailbox at run time (issue 15 point 5): sends a marked message every `every` through the
 * mailbox's SMTP, waits `within` for discovery to hand it over, and removes it from the server. Decisions are
 * canary-state.ts's; this carries them out, on the injected clock's timers (unref'd: a canary never keeps the
 * process alive).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Clock, DiscoveredMessage, Logger, MailSession, SmtpMessage } from '../../adapters/contract.js';
import { backgroundTimeout } from '../autopilot/clock.js';
import { describeError } from '../pipeline/step-outcome.js';
import { canaryIdOf, canaryMessage } from './canary-mark.js';
import { type CanaryState, canaryArrived, canaryMissed, canarySent, INITIAL_CANARY_STATE } from './canary-state.js';

/**
 * What the status page and /metrics show of a mailbox's canary.
 *
 * @example
 * ```ts
 * const view: CanaryView = { latencySeconds: 1.2, missedTotal: 0, missed: null };
 * ```
 */
export type CanaryView = Omit<CanaryState, 'pending'>;

/**
 * What {@link CanaryMonitor} needs.
 *
 * @example
 * ```ts
 * const options: CanaryOptions = { mailboxId: 'support', every: 900_000, within: 120_000, from, to, send, logger, now };
 * ```
 */
export interface CanaryOptions {
  readonly mailboxId: string;
  readonly every: number;
  readonly within: number;
  readonly from: string;
  readonly to: string;
  readonly send: (mail: SmtpMessage) => Promise<unknown>;
  readonly logger: Logger;
  readonly now: () => number;
  readonly clock?: Clock;
}

/**
 * Sends canaries and recognises them at discovery.
 *
 * @example
 * ```ts
 * const canary = new CanaryMonitor(options);
 * canary.start();
 * if (canary.divert(message, session)) return; // never shown to rules
 * ```
 */
export class CanaryMonitor {
  readonly #options: CanaryOptions;
  #state: CanaryState = INITIAL_CANARY_STATE;
  /** The cancels of the pending timers. */
  readonly #timers = new Set<() => void>();
  #stopped = false;

  constructor(options: CanaryOptions) {
    this.#options = options;
  }

  /** The canary as the status page shows it. */
  get view(): CanaryView {
    const { pending: _pending, ...view } = this.#state;
    return view;
  }

  /** Sends the first canary after `every` (the mailbox connects first), then every `every`. */
  start(): void {
    this.#after(this.#options.every, () => this.#tick());
  }

  /** Stops sending; a canary in flight is neither awaited nor counted. */
  stop(): void {
    this.#stopped = true;
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
  }

  /**
   * Takes a discovered canary of this mailbox away from the rules: records its arrival and removes it from the
   * server. Returns the removal (discovery awaits it, like any action of the session; it never rejects), or
   * `undefined` for every other message.
   */
  divert(message: DiscoveredMessage, session: MailSession): Promise<void> | undefined {
    const id = canaryIdOf(message, this.#options.mailboxId);
    if (id === undefined) return undefined;
    const at = this.#options.now();
    const pending = this.#state.pending;
    this.#state = canaryArrived(this.#state, id, at, (pending?.sentAt ?? at) + this.#options.within);
    const arrived = pending?.id === id && this.#state.pending === null && this.#state.missed === null;
    const { mailboxId } = this.#options;
    if (arrived)
      this.#options.logger.info(
        { mailboxId, canary: id, latencySeconds: this.#state.latencySeconds },
        'canary arrived',
      );
    return session.delete(message).catch((error: unknown) => {
      const { code, reason } = describeError(error, 'CANARY_REMOVE_FAILED');
      this.#options.logger.warn({ mailboxId, canary: id, code, error: reason }, 'canary could not be removed');
    });
  }

  #after(ms: number, fn: () => void): void {
    if (this.#stopped) return;
    const cancel = backgroundTimeout(
      this.#options.clock,
      () => {
        this.#timers.delete(cancel);
        fn();
      },
      ms,
    );
    this.#timers.add(cancel);
  }

  #tick(): void {
    if (this.#stopped) return;
    const { mailboxId, from, to, now } = this.#options;
    const id = randomBytes(6).toString('hex');
    this.#state = canarySent(this.#state, id, now());
    this.#after(this.#options.within, () => this.#miss(id, `not discovered within ${this.#options.within} ms`));
    this.#options.send(canaryMessage(mailboxId, id, { from, to })).catch((error: unknown) => {
      const { code, reason } = describeError(error, 'CANARY_SEND_FAILED');
      this.#miss(id, `could not be sent: ${code}: ${reason}`);
    });
    this.#after(this.#options.every, () => this.#tick());
  }

  #miss(id: string, reason: string): void {
    const before = this.#state;
    this.#state = canaryMissed(this.#state, id, this.#options.now(), reason);
    if (this.#state === before) return;
    this.#options.logger.warn({ mailboxId: this.#options.mailboxId, canary: id, reason }, 'canary missed');
  }
}
