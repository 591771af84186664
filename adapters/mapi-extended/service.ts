/**
 * The Extended MAPI service (SPEC S1, S2, S5): the Outlook object model, driven in a bridge child.
 *
 * @module
 */
import { type MapiMailboxConfig, validateMapiConfig } from '../mapi/config.js';
import { createMapiService, type MapiMailService, type MapiServiceDeps } from '../mapi/service.js';
import type { MapiFlavourSpec } from '../mapi/session.js';
import { MAPI_EXTENDED_CAPABILITIES } from './capabilities.js';

export { MAPI_EXTENDED_CAPABILITIES } from './capabilities.js';

const SPEC: MapiFlavourSpec = {
  label: 'Outlook',
  capabilities: MAPI_EXTENDED_CAPABILITIES,
  rebuiltBy: 'outlook-object-model',
  missing: {
    markRead: '',
    flag: 'the Extended MAPI adapter does not map IMAP flags to Outlook flags or categories',
    moveTo: '',
    delete: '',
  },
};

/**
 * Creates the Extended MAPI service of one mailbox. The config is checked now (CONFIG_INVALID naming the field;
 * MAPI_UNAVAILABLE off Windows, SPEC S1). Each connect starts a bridge child that logs on to the profile (empty =
 * default) without any dialog and opens the Inbox or the configured folder; failures are typed (MAPI_LOGON_FAILED,
 * FOLDER_NOT_FOUND, MAPI_BUSY, BRIDGE_TIMEOUT, BRIDGE_CRASHED, MAPI_UNAVAILABLE, …).
 *
 * @example
 * ```ts
 * const service = createMapiExtendedService({ id: 'support', profile: 'Support', unreadOnly: true }, { handled });
 * const machine = mailboxMachine.provide({ actors: createMailboxActors(service, sink) });
 * ```
 */
export function createMapiExtendedService(config: MapiMailboxConfig, deps: MapiServiceDeps): MapiMailService {
  return createMapiService('mapi-extended', 'extended', SPEC, validateMapiConfig(config, { simple: false }), deps);
}
