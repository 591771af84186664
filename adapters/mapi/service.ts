/**
 * The MAPI {@link MailService}, shared by Extended and Simple MAPI: each connect starts a bridge child and logs on
 * under one deadline; `send` goes through the open session's bridge, or a short-lived one.
 *
 * @module
 */
import type { HandledLookup, MailService, MailSession, ServiceKind } from '../contract.js';
import { isMailServiceError, MailServiceError } from '../errors.js';
import type { SmtpMessage, SmtpSendResult } from '../smtp/message.js';
import { BridgeProcess } from './bridge-client.js';
import type { MapiSettings } from './config.js';
import { capabilityMissing } from './errors.js';
import { toMapiOutgoing } from './outgoing.js';
import { type MapiFlavourSpec, type MapiLogger, MapiSession } from './session.js';
import type { MapiFlavour } from './types.js';

/**
 * What a MAPI service needs besides its config: the lookup of handled messages (the journal), and a logger.
 *
 * @example
 * ```ts
 * const deps: MapiServiceDeps = { handled: journal, logger: pino() };
 * ```
 */
export interface MapiServiceDeps {
  readonly handled: HandledLookup;
  readonly logger?: MapiLogger;
}

/**
 * A MAPI service: a {@link MailService} whose `send` is always present (both MAPI flavours send themselves).
 *
 * @example
 * ```ts
 * const service: MapiMailService = createMapiSimpleService(config, deps);
 * await service.send({ from: '', to: 'ops@example.test', subject: 'Bounce', text: '…' });
 * ```
 */
export interface MapiMailService extends MailService {
  send(mail: SmtpMessage, signal?: AbortSignal): Promise<SmtpSendResult>;
}

/**
 * Creates a MAPI service for validated settings.
 *
 * @example
 * ```ts
 * const service = createMapiService('mapi-simple', 'simple', SIMPLE_SPEC, settings, deps);
 * ```
 */
export function createMapiService(
  kind: Extract<ServiceKind, 'mapi-extended' | 'mapi-simple'>,
  flavour: MapiFlavour,
  spec: MapiFlavourSpec,
  settings: MapiSettings,
  deps: MapiServiceDeps,
): MapiMailService {
  const where = `${spec.label} profile ${JSON.stringify(settings.profile || '(default)')}`;
  const bridgeOptions = {
    flavour,
    mailboxId: settings.id,
    where,
    ...(settings.fake ? { fake: settings.fake } : {}),
  };
  let current: MapiSession | null = null;

  /** Starts a bridge and logs on, all under one deadline (and `signal`). */
  async function open(signal: AbortSignal): Promise<BridgeProcess> {
    const started = Date.now();
    const bridge = await BridgeProcess.start(bridgeOptions, signal, settings.connectTimeoutMs);
    const onAbort = () => bridge.kill();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const remaining = Math.max(1, settings.connectTimeoutMs - (Date.now() - started));
      await bridge.call('logon', { profile: settings.profile, folder: settings.folder }, remaining);
      if (signal.aborted)
        throw new MailServiceError({
          code: 'ABORTED',
          message: `${where}: connect aborted`,
          retryable: true,
          mailboxId: settings.id,
        });
      return bridge;
    } catch (error) {
      bridge.kill();
      if (signal.aborted && !(isMailServiceError(error) && error.code === 'ABORTED')) {
        throw new MailServiceError({
          code: 'ABORTED',
          message: `${where}: connect aborted`,
          retryable: true,
          mailboxId: settings.id,
        });
      }
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async function connect(signal: AbortSignal): Promise<MailSession> {
    try {
      const bridge = await open(signal);
      const session = new MapiSession({
        bridge,
        settings,
        spec,
        handled: deps.handled,
        logger: deps.logger,
        where,
        onEnd: () => {
          if (current === session) current = null;
        },
      });
      current = session;
      deps.logger?.info(
        { mailboxId: settings.id, folder: settings.folder, unreadOnly: settings.unreadOnly, pid: bridge.pid },
        `${where}: MAPI session opened`,
      );
      return session;
    } catch (error) {
      const typed = error as MailServiceError;
      deps.logger?.warn({ mailboxId: settings.id, code: typed.code }, `${spec.label} connect failed: ${typed.message}`);
      throw error;
    }
  }

  async function send(mail: SmtpMessage, signal: AbortSignal = new AbortController().signal): Promise<SmtpSendResult> {
    if (!spec.capabilities.send) throw capabilityMissing(settings.id, spec.label, 'send', 'this service cannot send');
    const outgoing = await toMapiOutgoing(mail);
    const recipients = [...outgoing.to, ...outgoing.cc, ...outgoing.bcc];
    const run = (bridge: BridgeProcess) => bridge.call('send', { mail: outgoing }, settings.callTimeoutMs);
    let result: { messageId: string | null };
    const session = current;
    if (session?.usable) {
      result = await session.sendVia(run);
    } else {
      // No session open (between reconnects, or a host sending on its own): a bridge just for this send.
      const bridge = await open(signal);
      try {
        result = await run(bridge);
        await bridge.call('logoff', {}, settings.callTimeoutMs).catch(() => undefined);
      } finally {
        await bridge.stop();
      }
    }
    return {
      messageId: result.messageId ?? '',
      accepted: recipients,
      rejected: [],
      response: `${spec.label}: handed to MAPI for delivery`,
    };
  }

  return { kind, mailboxId: settings.id, capabilities: spec.capabilities, connect, send };
}
