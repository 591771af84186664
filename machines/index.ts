/**
 * The pure state machines of mail-autopilot (`mail-autopilot/machines`): no I/O, no timers of their own.
 *
 * @example
 * ```ts
 * import { mailboxMachine } from 'mail-autopilot/machines';
 * ```
 * @module
 */

export type { MailboxMachine } from './mailbox.machine.js';
export { mailboxMachine } from './mailbox.machine.js';
export type {
  ConnectInput,
  MailboxContext,
  MailboxErrorInfo,
  MailboxEvent,
  MailboxInput,
  StopReason,
  WatchInput,
} from './mailbox.types.js';
export * from './message/index.js';
export type { ScheduleRow } from './reconnect-schedule.js';
export {
  formatDuration,
  RECONNECT_SCHEDULE_MS,
  scheduleTable,
  UNLIMITED_RETRY_INTERVAL_MS,
} from './reconnect-schedule.js';
