/**
 * mail-autopilot: watches mailboxes and runs rules on every new message.
 *
 * @example
 * ```ts
 * import { createActor } from 'xstate';
 * import { mailboxMachine } from 'mail-autopilot';
 * const actor = createActor(mailboxMachine, { input: { mailboxId: 'support' } }).start();
 * ```
 * @module
 */
export * from './machines/index.js';
export type { InspectorHandle, InspectorOptions } from './runtime/inspect.js';
export { attachInspector } from './runtime/inspect.js';
