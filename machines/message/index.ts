/**
 * The pure core of a message's life (issue 12): its events (the journal's vocabulary), its state, `evolve` (how an
 * event changes the state) and `decide` (what comes next). No I/O: the runtime carries out what it decides.
 *
 * @example
 * ```ts
 * import { decide, evolve, nextStep } from 'mail-autopilot/machines';
 * const events = decide(state, { type: 'advance', at: Date.now() }, { plans, retries: 3 });
 * ```
 * @module
 */
export * from './decide.js';
export * from './events.js';
export * from './evolve.js';
export type * from './identity.js';
export * from './state.js';
