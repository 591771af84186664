/**
 * The Simple MAPI adapter (issue 8): MAPI32.DLL through koffi, in a bridge child process.
 *
 * @example
 * ```ts
 * import { createMapiSimpleService } from './adapters/mapi-simple/index.js';
 * const service = createMapiSimpleService({ id: 'bounces', profile: 'Bounces' }, { handled: journal });
 * ```
 * @module
 */
export type { MapiMailboxConfig } from '../mapi/config.js';
export { REBUILT_HEADER, rebuiltBy } from '../mapi/mime.js';
export type { MapiMailService, MapiServiceDeps } from '../mapi/service.js';
export { createMapiSimpleService, MAPI_SIMPLE_CAPABILITIES } from './service.js';
