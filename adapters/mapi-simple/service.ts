/**
 * The Simple MAPI service (SPEC S1, S2, S5): MAPI32.DLL, called in a bridge child.
 *
 * @module
 */
import type { MailServiceCapabilities } from '../contract.js';
import { type MapiMailboxConfig, validateMapiConfig } from '../mapi/config.js';
import { createMapiService, type MapiMailService, type MapiServiceDeps } from '../mapi/service.js';
import type { MapiFlavourSpec } from '../mapi/session.js';

/**
 * What Simple MAPI can do: unread-only enumeration, mark read (a read without MAPI_PEEK), delete, send. It cannot
 * move, has no folders but the Inbox, no flags, and gives no original MIME (rebuilt from the parts).
 *
 * @example
 * ```ts
 * MAPI_SIMPLE_CAPABILITIES.move; // false
 * ```
 */
export const MAPI_SIMPLE_CAPABILITIES: MailServiceCapabilities = Object.freeze({
  unreadOnly: true,
  markRead: true,
  flag: false,
  move: false,
  delete: true,
  folders: false,
  rawMime: false,
  push: false,
  send: true,
});

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
