/**
 * The Simple MAPI service (SPEC S1, S2, S5): MAPI32.DLL, called in a bridge child.
 *
 * @module
 */
import { type MapiMailboxConfig, validateMapiConfig } from '../mapi/config.js';
import { createMapiService, type MapiMailService, type MapiServiceDeps } from '../mapi/service.js';
import type { MapiFlavourSpec } from '../mapi/session.js';
import { MAPI_SIMPLE_CAPABILITIES } from './capabilities.js';

export { MAPI_SIMPLE_CAPABILITIES } from './capabilities.js';

const SPEC: MapiFlavourSpec = {
  label: 'Simple MAPI',
  capabilities: MAPI_SIMPLE_CAPABILITIES,
  rebuiltBy: 'simple-mapi',
  missing: {
    markRead: '',
    flag: 'Simple MAPI has no flags',
    moveTo: 'Simple MAPI cannot move messages or list folders; use mapi-extended, or forward and delete',
    delete: '',
  },
};

/**
 * Creates the Simple MAPI service of one mailbox. The config is checked now (CONFIG_INVALID naming the field: only
 * the Inbox; MAPI_UNAVAILABLE off Windows, SPEC S1). Each connect starts a bridge child that calls MAPILogon with
 * the profile (empty = default) and never MAPI_LOGON_UI.
 *
 * @example
 * ```ts
 * const service = createMapiSimpleService({ id: 'bounces', profile: 'Bounces', unreadOnly: true }, { handled });
 * ```
 */
export function createMapiSimpleService(config: MapiMailboxConfig, deps: MapiServiceDeps): MapiMailService {
  return createMapiService('mapi-simple', 'simple', SPEC, validateMapiConfig(config, { simple: true }), deps);
}
