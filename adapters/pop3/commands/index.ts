/**
 * One function per POP3 command, each over a {@link Pop3Transport} (in the manner of imapflow's `lib/commands`).
 *
 * @example
 * ```ts
 * import { login, quit, retr, uidl } from './commands/index.js';
 * await login(transport, user, password);
 * for (const { number } of await uidl(transport)) await retr(transport, number);
 * await quit(transport);
 * ```
 *
 * @module
 */
export { authenticate, authXOAuth2, type SaslResponder } from './auth.js';
export { capa } from './capa.js';
export { dele } from './dele.js';
export { list, listOf } from './list.js';
export { noop } from './noop.js';
export { quit } from './quit.js';
export { retr, retrStream } from './retr.js';
export { rset } from './rset.js';
export { stat } from './stat.js';
export { stls } from './stls.js';
export { top, topMany } from './top.js';
export { type UidlEntry, uidl, uidlOf } from './uidl.js';
export { login } from './user-pass.js';
