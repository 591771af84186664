/**
 * The Extended MAPI adapter (issue 8): the Outlook object model through winax, in a bridge child process.
 *
 * @example
 * ```ts
 * import { createMapiExtendedService } from './adapters/mapi-extended/index.js';
 * const service = createMapiExtendedService({ id: 'support', profile: 'Support' }, { handled: journal });
 * ```
 * @module
 */
export type { MapiMailboxConfig } from '../mapi/config.js';
export { REBUILT_HEADER, rebuiltBy } from '../mapi/mime.js';
export type { MapiMailService, MapiServiceDeps } from '../mapi/service.js';
export { createMapiExtendedService, MAPI_EXTENDED_CAPABILITIES } from './service.js';
