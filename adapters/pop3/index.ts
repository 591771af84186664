/**
 * The POP3 adapter (SPEC S1, S5–S7; issue 5): {@link createPop3Service} gives the mailbox machine its `connect` and
 * `watch` through `createMailboxActors`.
 *
 * @example
 * ```ts
 * import { createPop3Service, validatePop3Config } from './adapters/pop3/index.js';
 * const service = createPop3Service(settings, { handled: journal }); // settings: resolved by the config schema
 * ```
 *
 * @module
 */
export * as pop3Commands from './commands/index.js';
export {
  type Pop3MailboxConfig,
  type Pop3Settings,
  pop3AddressOptions,
  validatePop3Config,
} from './config.js';
export { Pop3CommandError } from './errors.js';
export { fallbackKeys, uidlKey } from './identity.js';
export { createPop3Service, POP3_CAPABILITIES, type Pop3ServiceDeps } from './service.js';
export { type Pop3Logger, Pop3Session } from './session.js';
export type { Pop3Endpoint, Pop3Security } from './socket.js';
export { type Pop3Reply, type Pop3Request, Pop3Transport, type Pop3TransportOptions } from './transport.js';
